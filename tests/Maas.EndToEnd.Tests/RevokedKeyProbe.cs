using System.Net;

namespace Maas.EndToEnd.Tests;

/// <summary>
/// Asks a gateway with a just-revoked key until it answers 401 or <see cref="PlatformFixture.RevocationDeadline"/>
/// passes: the revocation notice reaches the gateway asynchronously.
/// </summary>
public static class RevokedKeyProbe
{
    public static async Task<HttpStatusCode> StatusOnceRevokedAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow + PlatformFixture.RevocationDeadline;
        HttpStatusCode status;
        do
        {
            using var response = await http.GetAsync("/v1/models");
            status = response.StatusCode;
        }
        while (status != HttpStatusCode.Unauthorized && DateTime.UtcNow < deadline);

        return status;
    }
}
