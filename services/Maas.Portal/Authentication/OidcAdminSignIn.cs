using System.Security.Claims;
using Maas.Infrastructure.Administration;
using Maas.Infrastructure.Persistence;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;

namespace Maas.Portal.Authentication;

/// <summary>
/// Turns a validated ID token into a portal administrator: refuses it unless it carries the required claim (when one is
/// configured), then replaces the provider's claims with the portal's own (name and audit actor) and audits the sign-in.
/// </summary>
public static class OidcAdminSignIn
{
    public static async Task OnTokenValidatedAsync(TokenValidatedContext context, PortalOidcOptions options)
    {
        var principal = context.Principal!;
        var name = principal.FindFirstValue("preferred_username") ?? principal.FindFirstValue("email")
            ?? principal.FindFirstValue(ClaimTypes.Email) ?? principal.FindFirstValue("name") ?? principal.FindFirstValue(ClaimTypes.Name)
            ?? principal.FindFirstValue("sub") ?? principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? "unknown";
        var actor = AdminPrincipal.OidcActorPrefix + name;
        var audit = new AuditLog(context.HttpContext.RequestServices.GetRequiredService<MaasDbContext>());
        var ct = context.HttpContext.RequestAborted;

        if (!string.IsNullOrWhiteSpace(options.RequiredClaimType)
            && !principal.Claims.Any(c => (c.Type == options.RequiredClaimType || c.Properties.Values.Contains(options.RequiredClaimType)) && c.Value == options.RequiredClaimValue))
        {
            await audit.AppendAsync(actor, AuditActions.SignInFailed, null, name, null, new { method = "oidc", reason = $"no claim {options.RequiredClaimType}={options.RequiredClaimValue}" }, ct);
            context.Fail($"The identity provider's token for {name} lacks the claim {options.RequiredClaimType}={options.RequiredClaimValue}.");
            return;
        }

        context.Principal = AdminPrincipal.Create(name, actor, "oidc");
        await audit.AppendAsync(actor, AuditActions.SignIn, null, name, null, new { method = "oidc" }, ct);
    }
}
