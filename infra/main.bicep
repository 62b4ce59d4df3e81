// FunctionsChat on Azure: `azd up` provisions this template, deploys Functions/ as service 'api',
// then the postdeploy hook publishes StaticSite/ to the static website (see azure.yaml, docs/deploy.md).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; goes into the resource group name, every resource name (via resourceToken) and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region for everything. It must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
param location string

@secure()
@minLength(32)
@description('Secret that signs member tokens (app setting Chat__SigningKey). azd passes it from CHAT_SIGNING_KEY, which the preprovision hook generates once per environment.')
param chatSigningKey string

@secure()
@description('The signing key before the last rotation (app setting Chat__PreviousSigningKeys__0): tokens it signed are still accepted, new ones are signed with chatSigningKey. Empty: none. azd passes it from CHAT_PREVIOUS_SIGNING_KEY; docs/deploy.md has the rotation steps.')
param chatPreviousSigningKey string = ''

@description('Object id of whoever runs azd (azd fills in AZURE_PRINCIPAL_ID). Gets write access to the static site so the postdeploy hook can upload the page. Empty skips it.')
param principalId string = ''

@description('Bogus locale for random member names (Chat__NameLocale).')
param chatNameLocale string = 'zh_CN'

@minValue(10)
@maxValue(86400)
@description('Seconds without a poll or send after which a member is offline (Chat__MemberTimeoutSeconds).')
param memberTimeoutSeconds int = 120

@minValue(1)
@maxValue(10000)
@description('Sends one member may make per 10 seconds, counted per instance (Chat__SendLimitPer10Seconds).')
param sendLimitPer10Seconds int = 20

@minValue(1)
@maxValue(100000)
@description('Joins one client address may make per minute, counted per instance (Chat__JoinLimitPerMinute). A join needs no credentials and creates a queue and a table row.')
param joinLimitPerMinute int = 30

@minValue(1)
@maxValue(10000)
@description('Online members one room holds; a join beyond gets 409 (Chat__MaxMembersPerRoom). It bounds the fan-out of every send.')
param maxMembersPerRoom int = 1000

@minValue(1)
@maxValue(1000)
@description('Concurrent HTTP invocations one Flex instance takes before the platform adds another. High, because a long poll mostly waits.')
param httpPerInstanceConcurrency int = 250

@allowed([
  512
  2048
  4096
])
@description('Flex Consumption instance size in MB; CPU and network scale with it.')
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
@description('Upper bound on Flex instances: a cost guard. With the concurrency above it caps concurrent long polls.')
param maximumInstanceCount int = 40

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package-${functionAppName}'
    appPrincipalId: identity.outputs.principalId
  }
}

module website 'modules/website.bicep' = {
  name: 'website'
  scope: rg
  params: {
    name: 'stweb${resourceToken}'
    location: location
    tags: tags
    uploaderPrincipalId: principalId
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    publisherPrincipalId: identity.outputs.principalId
  }
}

module api 'modules/functionapp.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    tableEndpoint: storage.outputs.tableEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    allowedOrigin: website.outputs.origin
    chatSigningKey: chatSigningKey
    chatPreviousSigningKey: chatPreviousSigningKey
    chatNameLocale: chatNameLocale
    memberTimeoutSeconds: memberTimeoutSeconds
    sendLimitPer10Seconds: sendLimitPer10Seconds
    joinLimitPerMinute: joinLimitPerMinute
    maxMembersPerRoom: maxMembersPerRoom
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
  }
}

// azd stores these in the environment (.azure/<env>/.env); the postdeploy hook reads the site ones.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output API_BASE_URL string = 'https://${api.outputs.defaultHostName}/api'
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output STATIC_SITE_STORAGE_ACCOUNT string = website.outputs.name
output STATIC_SITE_URL string = website.outputs.url
output STATIC_SITE_ORIGIN string = website.outputs.origin
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.name
