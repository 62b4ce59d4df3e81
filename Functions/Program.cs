using FunctionsChat;
using FunctionsChat.Http;
using FunctionsChat.Telemetry;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = FunctionsApplication.CreateBuilder(args);
// First, so that it runs outside the ASP.NET Core integration's middleware and sees each result after it is written.
builder.UseMiddleware<HttpResultsStayOffTheChannel>();
builder.ConfigureFunctionsWebApplication();
// The worker's ASP.NET Core server logs two lines per request; the host logs every invocation already.
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Services.AddChat(builder.Configuration);
builder.Services.AddChatTelemetry(builder.Configuration);
builder.Build().Run();
