using System.Text.Json;
using FunctionsChat.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace FunctionsChat.Http;

/// <summary>
/// A status, an optional JSON body and headers. It writes itself without MVC's formatters, so the function host,
/// DevServer and tests running on a bare DefaultHttpContext all produce the same bytes.
/// </summary>
public sealed class ApiResult(int statusCode, object? body = null, string contentType = "application/json") : IActionResult
{
    public int StatusCode { get; } = statusCode;

    public object? Body { get; } = body;

    public string ContentType { get; } = contentType;

    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    public ApiResult WithHeader(string name, string value)
    {
        Headers[name] = value;
        return this;
    }

    public Task ExecuteResultAsync(ActionContext context) => WriteAsync(context.HttpContext.Response);

    public async Task WriteAsync(HttpResponse response)
    {
        response.StatusCode = StatusCode;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.CacheControl = "no-store";
        foreach (var (name, value) in Headers)
        {
            response.Headers[name] = value;
        }
        if (Body is null)
        {
            return;
        }
        response.ContentType = $"{ContentType}; charset=utf-8";
        // A caller who left is normal (a closed tab ends its long poll): no one to write to, and no failure.
        var callerGone = response.HttpContext.RequestAborted;
        if (callerGone.IsCancellationRequested)
        {
            return;
        }
        try
        {
            await JsonSerializer.SerializeAsync(response.Body, Body, Body.GetType(), ChatJson.Options, callerGone);
        }
        catch (OperationCanceledException) when (callerGone.IsCancellationRequested)
        {
        }
    }
}
