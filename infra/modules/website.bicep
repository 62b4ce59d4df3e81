// The chat page: a second storage account whose static website endpoint serves StaticSite/ over HTTPS.
// It is separate from the chat's data account so that nothing public-facing shares an account with the
// history, the inboxes, the host keys or the deployment package.

import { roleIds } from 'roles.bicep'

param name string
param location string
param tags object

@description('Object id of whoever runs azd (a person or a CI service principal); empty to skip. The postdeploy hook uploads the page with this identity.')
param uploaderPrincipalId string

resource account 'Microsoft.Storage/storageAccounts@2025-08-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    // The web endpoint serves $web anonymously by design; keys and public blob access stay off, and the
    // page is uploaded with Entra ID (az storage blob upload-batch --auth-mode login).
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

// Since API version 2025-08-01 the static website switch is an ARM property, so no data-plane step is needed.
resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2025-08-01' = {
  parent: account
  name: 'default'
  properties: {
    staticWebsite: {
      enabled: true
      indexDocument: 'index.html'
      errorDocument404Path: 'index.html'
    }
  }
}

resource uploader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(uploaderPrincipalId)) {
  name: guid(account.id, uploaderPrincipalId, roleIds.storageBlobDataContributor)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
    principalId: uploaderPrincipalId
  }
}

var webEndpoint = account.properties.primaryEndpoints.web

output name string = account.name
output url string = webEndpoint
@description('The page origin (scheme and host, no trailing slash), as a browser sends it in the Origin header.')
output origin string = 'https://${split(webEndpoint, '/')[2]}' // https://host/ -> https://host
