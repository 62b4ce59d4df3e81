using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace FunctionsChat.Http;

/// <summary>
/// With ASP.NET Core integration the worker's proxying middleware writes a function's <see cref="IActionResult"/> to
/// the HTTP response, but leaves it as the invocation result too, so the worker also serializes it to JSON into the
/// <c>InvocationResponse</c> for the host: every body twice, and the join token on the host's channel. Registered
/// outside that middleware, this clears the result once it has been written.
/// </summary>
internal sealed class HttpResultsStayOffTheChannel : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        await next(context);
        var result = context.GetInvocationResult();
        if (result.Value is IActionResult or IResult)
        {
            result.Value = null;
        }
    }
}
