// The chat API: a Linux function app on the Flex Consumption plan (FC1), .NET 10 isolated worker.
// On Flex the runtime, scale and deployment package live in functionAppConfig, not in app settings
// (FUNCTIONS_WORKER_RUNTIME, WEBSITE_RUN_FROM_PACKAGE and friends are not allowed there).

param name string
param planName string
param location string
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity: the host and the chat code pick it with AzureWebJobsStorage__clientId.')
param identityClientId string

param storageAccountName string
param tableEndpoint string
param queueEndpoint string

@description('https URL of the blob container that holds the deployment package.')
param deploymentContainerUrl string

param applicationInsightsConnectionString string

@description('The one browser origin allowed to call the API (the static site).')
param allowedOrigin string

@secure()
param chatSigningKey string
@secure()
param chatPreviousSigningKey string
param chatNameLocale string
param memberTimeoutSeconds int
param sendLimitPer10Seconds int
param joinLimitPerMinute int
param maxMembersPerRoom int

param httpPerInstanceConcurrency int
param instanceMemoryMB int
param maximumInstanceCount int

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource app 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  // azd finds the resource to deploy service 'api' (azure.yaml) by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      cors: {
        // Exactly the page's origin. Tokens travel in the Authorization header, not cookies, so no credentials.
        allowedOrigins: [
          allowedOrigin
        ]
        supportCredentials: false
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        triggers: {
          http: {
            // Long polls spend almost all of their 30 s awaiting a queue; see docs/deploy.md for the number.
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // Host and chat storage through the managed identity; no connection string or key exists anywhere.
      AzureWebJobsStorage__accountName: storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      // Explicit endpoints keep the chat's Table and Queue clients right in clouds other than AzureCloud.
      AzureWebJobsStorage__tableServiceUri: tableEndpoint
      AzureWebJobsStorage__queueServiceUri: queueEndpoint
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      Chat__SigningKey: chatSigningKey
      // Always set, empty when there is none: the chat ignores a blank entry, and dropping the old key is one change.
      Chat__PreviousSigningKeys__0: chatPreviousSigningKey
      Chat__NameLocale: chatNameLocale
      Chat__MemberTimeoutSeconds: string(memberTimeoutSeconds)
      Chat__SendLimitPer10Seconds: string(sendLimitPer10Seconds)
      Chat__JoinLimitPerMinute: string(joinLimitPerMinute)
      Chat__MaxMembersPerRoom: string(maxMembersPerRoom)
    }
  }
}

// azd and Core Tools deploy with Entra ID tokens; publishing with a username and password stays off.
resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
