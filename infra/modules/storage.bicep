// The chat's storage account: history and members in Tables, one inbox Queue per member, and the Functions
// host's own blobs (timer locks, host keys) plus the Flex Consumption deployment package container.
// Shared keys are off, so every caller authenticates with Entra ID; the app's identity gets data roles.

import { roleIds } from 'roles.bicep'

param name string
param location string
param tags object

@description('Blob container that Flex Consumption deploys the app package into.')
param deploymentContainerName string

@description('Principal id of the function app identity.')
param appPrincipalId string

resource account 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Flex Consumption without a virtual network reaches storage over its public endpoint.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobs
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

// Table: chat history and members. Queue: member inboxes (create, put, receive, delete queues).
// Blob Data Owner on the account, not only the deployment container: the host keeps its keys and the
// timer trigger's schedule locks in blob containers it creates itself (azure-webjobs-*).
var appRoles = [
  roleIds.storageTableDataContributor
  roleIds.storageQueueDataContributor
  roleIds.storageBlobDataOwner
]

resource appRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in appRoles: {
    name: guid(account.id, appPrincipalId, roleId)
    scope: account
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

output name string = account.name
output tableEndpoint string = account.properties.primaryEndpoints.table
output queueEndpoint string = account.properties.primaryEndpoints.queue
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
