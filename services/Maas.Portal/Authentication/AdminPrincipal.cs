using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Maas.Portal.Authentication;

/// <summary>The signed-in administrator as the portal's cookie carries it: a name and the actor the audit log records.</summary>
public static class AdminPrincipal
{
    public const string ActorClaim = "maas:actor";
    public const string PasswordActorPrefix = "admin:";
    public const string OidcActorPrefix = "oidc:";

    public static ClaimsPrincipal Create(string name, string actor, string authenticationMethod) =>
        new(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, name), new Claim(ActorClaim, actor), new Claim(ClaimTypes.AuthenticationMethod, authenticationMethod)],
            CookieAuthenticationDefaults.AuthenticationScheme));

    /// <summary>Who acts, for the audit log: "admin:{user}" or "oidc:{name}".</summary>
    public static string Actor(ClaimsPrincipal user) =>
        user.FindFirstValue(ActorClaim) ?? throw new InvalidOperationException("The request has no signed-in administrator.");
}
