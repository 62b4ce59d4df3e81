using System.Text.Json;

namespace FunctionsChat.DevServer;

/// <summary>
/// What the Functions host and the static website do around the functions, done here too: CORS for the configured
/// origins only (like <c>func start</c> with <c>Host.CORS</c>, or the function app's <c>siteConfig.cors</c>), and
/// security headers on the page's files (a Content-Security-Policy header that forbids inline script, nosniff), and
/// no Authorization header on the development exception page.
/// The API's own responses carry <c>X-Content-Type-Options: nosniff</c> from <c>ApiResult</c> in every host.
/// </summary>
public static class DevSecurity
{
    /// <summary>Comma-separated origins allowed to call the API from another origin; wins over <c>Host.CORS</c>.</summary>
    public const string CorsOriginsSetting = "DevServer:CorsOrigins";

    /// <summary>
    /// The page's policy (the same as the meta tag in StaticSite/index.html), plus what only a header can say
    /// (frame-ancestors). No 'unsafe-inline' and no 'unsafe-eval': an injected inline script or handler never runs.
    /// </summary>
    public const string PageContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private const string PolicyName = "ConfiguredOrigins";

    /// <summary>The origins allowed cross-origin, and whether credentials are allowed; empty when none are configured.</summary>
    public sealed record CorsSettings(IReadOnlyList<string> Origins, bool AllowCredentials, string Source)
    {
        public bool AllowsAnyOrigin => Origins.Contains("*");
    }

    /// <summary>
    /// <c>DevServer:CorsOrigins</c> when set, else <c>Host.CORS</c> and <c>Host.CORSCredentials</c> of
    /// <c>Functions/local.settings.json</c> (the host section func start reads; it is not an app setting). Nothing
    /// configured: no cross-origin caller is allowed. "*" is honoured only when written explicitly, as in Core Tools.
    /// </summary>
    public static CorsSettings ReadCors(IConfiguration configuration, string? settingsFile)
    {
        if (configuration[CorsOriginsSetting] is { } configured && !string.IsNullOrWhiteSpace(configured))
        {
            return new CorsSettings(SplitOrigins(configured), AllowCredentials: false, CorsOriginsSetting);
        }
        if (settingsFile is not null && File.Exists(settingsFile))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(settingsFile), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (json.RootElement.TryGetProperty("Host", out var host) && host.ValueKind == JsonValueKind.Object)
            {
                var origins = host.TryGetProperty("CORS", out var cors) && cors.ValueKind == JsonValueKind.String ? SplitOrigins(cors.GetString()!) : [];
                var credentials = host.TryGetProperty("CORSCredentials", out var c) && c.ValueKind == JsonValueKind.True;
                return new CorsSettings(origins, credentials, $"Host.CORS in {settingsFile}");
            }
        }
        return new CorsSettings([], AllowCredentials: false, "nothing configured");
    }

    private static List<string> SplitOrigins(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(o => o.TrimEnd('/')).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>Registers the CORS policy. Call before Build.</summary>
    public static CorsSettings AddDevSecurity(this WebApplicationBuilder builder, string? settingsFile)
    {
        var settings = ReadCors(builder.Configuration, settingsFile);
        builder.Services.AddSingleton(settings);
        builder.Services.AddCors(options => options.AddPolicy(PolicyName, policy =>
        {
            if (settings.AllowsAnyOrigin)
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins([.. settings.Origins]);
                if (settings.AllowCredentials)
                {
                    policy.AllowCredentials();
                }
            }
            policy.WithMethods("GET", "POST", "DELETE")
                .WithHeaders("Authorization", "Content-Type", "Accept")
                // The page backs off by Retry-After (429, 503); a cross-origin page can only read it when exposed.
                .WithExposedHeaders("Retry-After")
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10));
        }));
        return settings;
    }

    /// <summary>
    /// No token in an error answer; CORS on the API, security headers on everything else. Call before the static files
    /// are mapped.
    /// </summary>
    public static WebApplication UseDevSecurity(this WebApplication app, string routePrefix)
    {
        var apiPrefix = new PathString("/" + routePrefix);
        // In Development, WebApplication puts the developer exception page in front of everything, and it prints every
        // request header back to the caller: a member's bearer token too, in answers that end up in proxies' logs, bug
        // reports and screenshots. So the token is blanked before an exception travels out to the page; the page
        // itself stays, for its stack trace.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch when (context.Request.Headers.Authorization.Count > 0)
            {
                context.Request.Headers.Authorization = "(removed by DevServer)";
                throw;
            }
        });
        var settings = app.Services.GetRequiredService<CorsSettings>();
        app.Logger.LogInformation("CORS: {Origins} ({Source}).",
            settings.Origins.Count == 0 ? "same origin only" : string.Join(", ", settings.Origins), settings.Source);
        app.UseWhen(context => context.Request.Path.StartsWithSegments(apiPrefix), api => api.UseCors(PolicyName).Use((context, next) =>
        {
            // Every function result says so itself (ApiResult, copied from the worker's response); this covers what
            // DevServer answers alone (404, 405, a 503 for a dead worker), once: never a second copy of the header.
            var response = context.Response;
            response.OnStarting(() =>
            {
                if (!response.Headers.ContainsKey("X-Content-Type-Options"))
                {
                    response.Headers.XContentTypeOptions = "nosniff";
                }
                return Task.CompletedTask;
            });
            return next(context);
        }));
        app.UseWhen(context => !context.Request.Path.StartsWithSegments(apiPrefix), page => page.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = PageContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            return next(context);
        }));
        return app;
    }
}
