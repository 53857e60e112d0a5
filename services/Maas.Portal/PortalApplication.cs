using Maas.Infrastructure.Administration;
using Maas.Infrastructure.Hosting;
using Maas.Infrastructure.Tenancy;
using Maas.Portal.Auditing;
using Maas.Portal.Authentication;
using Maas.Portal.Invoices;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Maas.Portal;

/// <summary>
/// Builds the admin billing portal: server-rendered Razor Pages under <see cref="PortalOptions.PathBase"/> (/portal, where
/// the gateway routes it without asking for a tenant key), cookie sign-in for portal administrators (optionally OpenID
/// Connect), antiforgery on every form, and the same infrastructure operations the `maas` CLI calls.
/// </summary>
public static class PortalApplication
{
    public const string DefaultUrl = "http://127.0.0.1:5300";

    /// <summary>/metrics and the detailed /health/ready (Maas:Management:Url), loopback only.</summary>
    public const int DefaultManagementPort = 5301;
    public const string CookieName = "maas_portal";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(PortalApplication).Assembly.GetName().Name,
            // appsettings.json and wwwroot sit next to the assembly (also when a test runs the build output).
            ContentRootPath = AppContext.BaseDirectory,
        });
        configure?.Invoke(builder);
        builder.UseDefaultUrl(DefaultUrl);

        // Revocation notices need Redis; without it a revoked key still stops working when gateway caches expire.
        builder.AddMaasServiceDefaults(DefaultManagementPort).AddMaasPostgres().AddMaasRedis(HealthStatus.Degraded);

        var portal = builder.Configuration.GetSection(PortalOptions.SectionName).Get<PortalOptions>() ?? new PortalOptions();
        var services = builder.Services;
        services.AddOptions<PortalOptions>().BindConfiguration(PortalOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ApiKeyRevocationOptions>().BindConfiguration(ApiKeyRevocationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new ApiKeyRevocation(sp.GetRequiredService<IOptions<ApiKeyRevocationOptions>>().Value.RevocationChannel));
        services.AddSingleton(sp => new AdminLockoutPolicy(sp.GetRequiredService<IOptions<PortalOptions>>().Value.MaxFailedSignIns, sp.GetRequiredService<IOptions<PortalOptions>>().Value.LockoutDuration));
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpContextAccessor();
        services.AddScoped<PortalAudit>();

        // The gateway (YARP) sets X-Forwarded-Host/Proto; trusted from loopback proxies only (the default).
        services.Configure<ForwardedHeadersOptions>(o => o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost);

        var dataProtection = services.AddDataProtection().SetApplicationName("maas-portal");
        if (!string.IsNullOrWhiteSpace(portal.DataProtectionKeysDirectory))
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(portal.DataProtectionKeysDirectory));
        }

        var authentication = services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                // Lax, not Strict: the navigation back from an identity provider must carry the new cookie.
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.LoginPath = "/signin";
                o.LogoutPath = "/signout";
                o.AccessDeniedPath = "/signin";
                o.ExpireTimeSpan = portal.SessionLifetime;
                o.SlidingExpiration = true;
                // Relative redirects: right behind any proxy, whatever Host it forwards.
                o.Events.OnRedirectToLogin = context =>
                {
                    context.Response.Redirect(new Uri(context.RedirectUri).PathAndQuery);
                    return Task.CompletedTask;
                };
            });
        if (portal.Oidc.Enabled)
        {
            authentication.AddOpenIdConnect(OpenIdConnectDefaults.AuthenticationScheme, o =>
            {
                o.Authority = portal.Oidc.Authority;
                o.ClientId = portal.Oidc.ClientId;
                o.ClientSecret = portal.Oidc.ClientSecret;
                o.ResponseType = "code";
                o.UsePkce = true;
                o.RequireHttpsMetadata = portal.Oidc.RequireHttpsMetadata;
                o.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                o.CallbackPath = "/signin-oidc";
                o.SaveTokens = false;
                o.GetClaimsFromUserInfoEndpoint = false;
                o.MapInboundClaims = false;
                o.Scope.Clear();
                foreach (var scope in new[] { "openid", "profile", "email" })
                {
                    o.Scope.Add(scope);
                }

                o.Events.OnTokenValidated = context => OidcAdminSignIn.OnTokenValidatedAsync(context, portal.Oidc);
            });
        }

        services.AddAuthorization();
        services.AddAntiforgery(o => o.Cookie.Name = CookieName + "_af");
        services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/");
            o.Conventions.AllowAnonymousToPage("/SignIn");
        });

        var app = builder.Build();
        app.UseForwardedHeaders();
        app.UsePathBase(app.Services.GetRequiredService<IOptions<PortalOptions>>().Value.PathBase);
        app.UseRouting();
        app.Use(async (context, next) =>
        {
            // No scripts at all; styles and images only from the portal itself (charts are inline SVG).
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'";
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            await next(context);
        });
        app.MapMaasDefaultEndpoints();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRazorPages();
        app.MapInvoiceCsvEndpoint();
        return app;
    }
}
