using System.Net;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using StackExchange.Redis;

namespace Maas.EndToEnd.Tests;

/// <summary>
/// `maas key revoke` and the gateways take the revocation channel from the one setting Maas:ApiKeys:RevocationChannel
/// (environment variable Maas__ApiKeys__RevocationChannel): set to the same non-default channel for both, a revoked
/// key is refused at once, long before the gateway's key cache would have dropped it.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class RevocationChannelTests(PlatformFixture platform)
{
    private const string ChannelVariable = "Maas__ApiKeys__RevocationChannel";

    [Fact]
    public async Task Key_revoked_by_the_cli_is_refused_at_once_by_a_gateway_on_the_same_non_default_channel()
    {
        var channel = "e2e:api-keys:revoked:" + Guid.NewGuid().ToString("N")[..8];
        Assert.NotEqual(ApiKeyRevocationOptions.DefaultChannel, channel);
        var environment = new Dictionary<string, string> { [ChannelVariable] = channel };
        await using var gateway = await platform.StartAnotherGatewayAsync(environment);
        await using var listener = await RedisRevocationListener.StartAsync(channel);
        await WaitForSubscribersAsync(channel, expected: 2);

        var tenant = await platform.CreateTenantAsync("e2e-channel-" + Guid.NewGuid().ToString("N")[..8], [], 1000);
        using var http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromMinutes(1) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tenant.Secret);
        using (var before = await http.GetAsync("/v1/models"))
        {
            // Now the gateway holds the key in its cache for PlatformFixture.KeyCacheTtl.
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var revoke = await CliProcess.RunAsync(
            ["key", "revoke", tenant.KeyId.ToString("D"), "--postgres", platform.Database.ConnectionString, "--redis", TestEnvironment.RedisConfiguration],
            environment,
            TimeSpan.FromMinutes(1));
        Assert.True(revoke.ExitCode == 0, revoke.Error);
        Assert.Contains($"published on {channel}", revoke.Output, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Unauthorized, await RevokedKeyProbe.StatusOnceRevokedAsync(http));
        Assert.True(await listener.WaitForAsync(tenant.KeyId, TimeSpan.FromSeconds(5)), $"no revocation notice for the key on {channel}");
    }

    /// <summary>Waits until the channel has its subscribers (the gateway subscribes in the background after it starts), so no notice can be missed.</summary>
    private static async Task WaitForSubscribersAsync(string channel, long expected)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        long subscribers;
        while ((subscribers = await server.SubscriptionSubscriberCountAsync(RedisChannel.Literal(channel))) < expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(subscribers >= expected, $"{subscribers} of {expected} subscribers on {channel}");
    }
}
