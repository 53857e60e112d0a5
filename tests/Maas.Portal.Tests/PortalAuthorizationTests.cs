using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Maas.Infrastructure.Administration;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;

namespace Maas.Portal.Tests;

/// <summary>
/// Who may do what at the portal, over plain HTTP against the same processes as the browser tests: a tenant's key (or
/// the gateway's signed tenant headers) is never an administrator, nothing changes without a session and an
/// antiforgery token, and what an administrator changes is in the audit log with its state before and after.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed partial class PortalAuthorizationTests(PortalFixture portal)
{
    /// <summary>Every page and the one download, as the gateway routes them.</summary>
    private static readonly string[] AdminPaths =
    [
        "/portal/",
        "/portal/tenants/" + PortalFixture.Acme,
        "/portal/invoices",
        "/portal/invoices/" + InvoiceService.IdFor(PortalFixture.Acme, DateTimeOffset.UtcNow),
        "/portal/invoices/" + InvoiceService.IdFor(PortalFixture.Acme, DateTimeOffset.UtcNow) + "/csv",
        "/portal/prices",
        "/portal/audit",
    ];

    [Fact]
    public async Task A_tenant_key_through_the_gateway_reaches_no_portal_page_or_download_only_the_sign_in()
    {
        using var client = NewClient(portal.Gateway.Address);
        foreach (var path in AdminPaths)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", portal.AcmeKey.Secret);
            request.Headers.TryAddWithoutValidation("X-Maas-Tenant", PortalFixture.Acme);

            using var response = await client.SendAsync(request);

            AssertSentToSignIn(response, path);
            Assert.DoesNotContain("Acme Plant 3", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Correctly_signed_gateway_tenant_headers_sent_to_the_portal_directly_are_no_sign_in_either()
    {
        // What the gateway would add for acme's key, signed with the real secret, addressed to the portal: the portal
        // trusts only its own administrator cookie.
        var signed = new SignedRequests(PortalFixture.SigningSecret, GatewayAudiences.Portal);
        using var client = NewClient(portal.Portal.Address);
        foreach (var path in AdminPaths)
        {
            using var request = signed.Get(path, PortalFixture.Acme);

            using var response = await client.SendAsync(request);

            AssertSentToSignIn(response, path);
        }
    }

    [Fact]
    public async Task A_revoke_posted_with_a_tenant_key_or_without_an_antiforgery_token_changes_nothing()
    {
        var keyId = portal.AcmeKey.Key.Id.ToString("D");
        var path = $"/portal/tenants/{PortalFixture.Acme}?handler=RevokeKey";

        using (var anonymous = NewClient(portal.Gateway.Address))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Form(("keyId", keyId)) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", portal.AcmeKey.Secret);
            using var response = await anonymous.SendAsync(request);
            AssertSentToSignIn(response, path);
        }

        // Signed in, but the form lacks the token a page of the portal would carry (a cross-site post): 400.
        using var admin = await SignInAsync();
        using (var forged = await admin.PostAsync(path, Form(("keyId", keyId))))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }

        await using var db = portal.Database.CreateContext();
        Assert.Null((await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == portal.AcmeKey.Key.Id)).RevokedAt);
        Assert.DoesNotContain(
            await new AuditLog(db).QueryAsync(new AuditQuery(Action: AuditActions.KeyRevoke), CancellationToken.None),
            e => e.Target == keyId);
    }

    [Fact]
    public async Task Limits_changed_over_http_take_effect_and_are_audited_with_the_administrator_before_and_after_as_is_signing_out()
    {
        using var admin = await SignInAsync();
        var tenantPath = "/portal/tenants/" + PortalFixture.Initech;
        var token = await AntiforgeryTokenAsync(admin, tenantPath);

        using (var saved = await admin.PostAsync(tenantPath + "?handler=Limits", Form(("maxConcurrent", "7"), ("rpm", "77"), ("__RequestVerificationToken", token))))
        {
            Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        }

        await using (var db = portal.Database.CreateContext())
        {
            var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == PortalFixture.Initech);
            Assert.Equal((7, 77, false), (tenant.MaxConcurrentRequests, tenant.RequestsPerMinute, tenant.Disabled));
            var entry = Assert.Single(await new AuditLog(db).QueryAsync(new AuditQuery(Action: AuditActions.TenantLimitsSet, TenantId: PortalFixture.Initech), CancellationToken.None));
            Assert.Equal("admin:" + PortalFixture.Admin, entry.Actor);
            Assert.True(entry.At > DateTimeOffset.UtcNow.AddMinutes(-5) && entry.At <= DateTimeOffset.UtcNow.AddSeconds(5), $"audited at {entry.At:O}");
            using var before = JsonDocument.Parse(entry.Before!);
            using var after = JsonDocument.Parse(entry.After!);
            Assert.Equal(16, before.RootElement.GetProperty("maxConcurrentRequests").GetInt32());
            Assert.Equal(600, before.RootElement.GetProperty("requestsPerMinute").GetInt32());
            Assert.Equal(7, after.RootElement.GetProperty("maxConcurrentRequests").GetInt32());
            Assert.Equal(77, after.RootElement.GetProperty("requestsPerMinute").GetInt32());
        }

        var signOutToken = await AntiforgeryTokenAsync(admin, "/portal/");
        using (var signedOut = await admin.PostAsync("/portal/signout", Form(("__RequestVerificationToken", signOutToken))))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        }

        using (var afterwards = await admin.GetAsync(tenantPath))
        {
            AssertSentToSignIn(afterwards, tenantPath);
        }

        await using (var db = portal.Database.CreateContext())
        {
            Assert.NotEmpty(await new AuditLog(db).QueryAsync(new AuditQuery(Actor: "admin:" + PortalFixture.Admin, Action: AuditActions.SignOut), CancellationToken.None));
        }
    }

    /// <summary>A client that keeps cookies and shows redirects instead of following them.</summary>
    private static HttpClient NewClient(Uri address) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true }) { BaseAddress = address };

    /// <summary>Signs <see cref="PortalFixture.Admin"/> in through the gateway as the sign-in form does.</summary>
    private async Task<HttpClient> SignInAsync()
    {
        var client = NewClient(portal.Gateway.Address);
        var token = await AntiforgeryTokenAsync(client, "/portal/signin");
        using var response = await client.PostAsync("/portal/signin", Form(("UserName", PortalFixture.Admin), ("Password", PortalFixture.AdminPassword), ("__RequestVerificationToken", token)));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    private static async Task<string> AntiforgeryTokenAsync(HttpClient client, string path)
    {
        var html = await client.GetStringAsync(path);
        return AntiforgeryField().Match(html) is { Success: true } match
            ? WebUtility.HtmlDecode(match.Groups[1].Value)
            : throw new InvalidOperationException($"{path} has no antiforgery token.");
    }

    private static FormUrlEncodedContent Form(params (string Name, string Value)[] fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Name, f.Value)));

    private static void AssertSentToSignIn(HttpResponseMessage response, string path)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{path}: {(int)response.StatusCode} instead of a redirect to the sign-in");
        var location = response.Headers.Location?.OriginalString ?? "";
        Assert.True(location.StartsWith("/portal/signin", StringComparison.Ordinal), $"{path}: redirected to '{location}'");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
