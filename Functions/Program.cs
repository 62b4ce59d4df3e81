using Microsoft.Extensions.Hosting;
using FunctionsChat;
using Microsoft.Azure.Functions.Worker.Builder;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddChat(builder.Configuration);
builder.Build().Run();
