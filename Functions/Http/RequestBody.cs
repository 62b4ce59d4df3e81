using System.Text.Json;
using FunctionsChat.Storage;
using Microsoft.AspNetCore.Http;

namespace FunctionsChat.Http;

/// <summary>Reads a small JSON body, refusing oversized ones before parsing.</summary>
public static class RequestBody
{
    public const int MaxBytes = 16 * 1024;

    /// <summary>
    /// The parsed body, or a 413/400 problem. An empty body gives <c>default</c> with no error when
    /// <paramref name="optional"/> is set.
    /// </summary>
    public static async Task<(T? Value, ApiResult? Error)> ReadJsonAsync<T>(HttpRequest request, bool optional, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentLength > MaxBytes)
        {
            return (null, TooLarge());
        }
        var buffer = new byte[MaxBytes + 1];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                break;
            }
            length += read;
        }
        if (length > MaxBytes)
        {
            return (null, TooLarge());
        }
        if (length == 0 || buffer.AsSpan(0, length).Trim(" \t\r\n"u8).IsEmpty)
        {
            return optional ? (null, null) : (null, Api.BadRequest("A JSON body is required."));
        }
        try
        {
            var value = JsonSerializer.Deserialize<T>(buffer.AsSpan(0, length), ChatJson.Options);
            return value is null && !optional ? (null, Api.BadRequest("A JSON object is required.")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Api.BadRequest($"The body is not valid JSON of the expected shape{Where(ex)}."));
        }
    }

    private static ApiResult TooLarge() => Api.TooLarge($"The request body is larger than {MaxBytes / 1024} KiB.");

    private static string Where(JsonException ex) => string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "" : $" (at {ex.Path})";
}
