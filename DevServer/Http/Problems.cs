namespace FunctionsChat.DevServer.Http;

/// <summary>What DevServer answers itself, as RFC 7807 problem bodies like the functions' own.</summary>
internal static class Problems
{
    public static Task BadRequestAsync(HttpContext context, string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad Request",
            type: "https://tools.ietf.org/html/rfc9110#section-15.5.1").ExecuteAsync(context);

    public static Task ServiceUnavailableAsync(HttpContext context, string detail)
    {
        context.Response.Headers.RetryAfter = "2";
        return Results.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service Unavailable",
            type: "https://tools.ietf.org/html/rfc9110#section-15.6.4").ExecuteAsync(context);
    }
}
