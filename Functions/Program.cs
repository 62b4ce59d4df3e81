using FunctionsChat;
using FunctionsChat.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
// First, so that it runs outside the ASP.NET Core integration's middleware and sees each result after it is written.
builder.UseMiddleware<HttpResultsStayOffTheChannel>();
builder.ConfigureFunctionsWebApplication();
builder.Services.AddChat(builder.Configuration);
builder.Build().Run();
