using Microsoft.AspNetCore.Mvc;

namespace FunctionsChat.Http;

/// <summary>Builds the API's results: JSON bodies and RFC 7807 problems.</summary>
public static class Api
{
    public static ApiResult Ok(object body) => new(200, body);

    public static ApiResult Created(object body) => new(201, body);

    public static ApiResult NoContent() => new(204);

    /// <summary>The problem type of a join refused because the room holds its most members (the page looks for it).</summary>
    public const string RoomFullType = "urn:functionschat:problem:room-full";

    public static ApiResult Problem(int status, string detail, string? title = null, string? type = null)
    {
        var (defaultTitle, defaultType) = Describe(status);
        var problem = new ProblemDetails { Status = status, Title = title ?? defaultTitle, Detail = detail, Type = type ?? defaultType };
        return new ApiResult(status, problem, "application/problem+json");
    }

    public static ApiResult BadRequest(string detail) => Problem(400, detail);

    public static ApiResult Unauthorized(string detail) => Problem(401, detail).WithHeader("WWW-Authenticate", "Bearer");

    public static ApiResult Forbidden(string detail) => Problem(403, detail);

    public static ApiResult Gone(string detail) => Problem(410, detail);

    public static ApiResult RoomFull(string detail) => Problem(409, detail, "Room is full", RoomFullType);

    public static ApiResult TooLarge(string detail) => Problem(413, detail);

    public static ApiResult TooManyRequests(TimeSpan retryAfter, string detail) =>
        Problem(429, detail).WithHeader("Retry-After", Seconds(retryAfter));

    public static ApiResult StorageUnavailable(TimeSpan retryAfter) =>
        Problem(503, "Chat storage cannot be reached right now. Try again shortly.").WithHeader("Retry-After", Seconds(retryAfter));

    /// <summary>A request cancelled before it finished: nothing half-done is left that a retry would not finish.</summary>
    public static ApiResult Interrupted() =>
        Problem(503, "This server instance stopped while handling the request. Try again.").WithHeader("Retry-After", "1");

    /// <summary>A send whose wait was cancelled (its instance is stopping): stored, and safe to send again.</summary>
    public static ApiResult SendInterrupted() =>
        Problem(503, "This server instance stopped while delivering the message. It is stored: send it again with the same clientMessageId.").WithHeader("Retry-After", "1");

    private static string Seconds(TimeSpan span) => Math.Max(1, (int)Math.Ceiling(span.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static (string Title, string Type) Describe(int status) => status switch
    {
        400 => ("Bad Request", "https://www.rfc-editor.org/rfc/rfc9110#name-400-bad-request"),
        401 => ("Unauthorized", "https://www.rfc-editor.org/rfc/rfc9110#name-401-unauthorized"),
        403 => ("Forbidden", "https://www.rfc-editor.org/rfc/rfc9110#name-403-forbidden"),
        404 => ("Not Found", "https://www.rfc-editor.org/rfc/rfc9110#name-404-not-found"),
        409 => ("Conflict", "https://www.rfc-editor.org/rfc/rfc9110#name-409-conflict"),
        410 => ("Gone", "https://www.rfc-editor.org/rfc/rfc9110#name-410-gone"),
        413 => ("Content Too Large", "https://www.rfc-editor.org/rfc/rfc9110#name-413-content-too-large"),
        429 => ("Too Many Requests", "https://www.rfc-editor.org/rfc/rfc6585#section-4"),
        503 => ("Service Unavailable", "https://www.rfc-editor.org/rfc/rfc9110#name-503-service-unavailable"),
        _ => ("Error", "about:blank"),
    };
}
