using Maas.Infrastructure.Administration;
using Maas.Infrastructure.Persistence;
using Maas.Portal.Authentication;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Maas.Portal.Pages;

/// <summary>Password sign-in for portal administrators (with lockout), and the way to the identity provider when OIDC is configured.</summary>
public sealed class SignInModel(MaasDbContext db, AdminLockoutPolicy lockout, IOptions<PortalOptions> options, TimeProvider time) : PageModel
{
    [BindProperty]
    public string UserName { get; set; } = "";

    [BindProperty]
    public string Password { get; set; } = "";

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    public string? OidcDisplayName => options.Value.Oidc.Enabled ? options.Value.Oidc.DisplayName : null;

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var name = PortalAdminRegistry.NormalizeUserName(UserName);
        var audit = new AuditLog(db, time);
        var actor = AdminPrincipal.PasswordActorPrefix + name;
        var result = await new PortalAdminRegistry(db, time).SignInAsync(name, Password, lockout, cancellationToken);
        switch (result.Outcome)
        {
            case AdminSignInOutcome.SignedIn:
                await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, AdminPrincipal.Create(result.Admin!.UserName, actor, "password"));
                await audit.AppendAsync(actor, AuditActions.SignIn, null, name, null, new { method = "password" }, cancellationToken);
                return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : Url.Content("~/"));
            case AdminSignInOutcome.LockedOut:
                await audit.AppendAsync(actor, AuditActions.LockedOut, null, name, null, new { lockedUntil = result.LockedUntil }, cancellationToken);
                Error = $"Too many failed sign-ins: this account is locked until {result.LockedUntil:yyyy-MM-dd HH:mm} UTC.";
                break;
            default:
                await audit.AppendAsync(actor, AuditActions.SignInFailed, null, name, null, new { method = "password" }, cancellationToken);
                Error = "Wrong user name or password.";
                break;
        }

        Password = "";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Page();
    }

    public IActionResult OnGetOidc()
    {
        if (!options.Value.Oidc.Enabled)
        {
            return NotFound();
        }

        var target = Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : Url.Content("~/");
        return Challenge(new AuthenticationProperties { RedirectUri = target }, OpenIdConnectDefaults.AuthenticationScheme);
    }
}
