using Microsoft.Extensions.Hosting;
using FunctionsChat;
using FunctionsChat.Telemetry;
using Microsoft.Azure.Functions.Worker.Builder;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddChat(builder.Configuration);
builder.Services.AddChatTelemetry(builder.Configuration);
builder.Build().Run();
