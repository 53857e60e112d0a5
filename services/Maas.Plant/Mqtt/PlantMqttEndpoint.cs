using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Maas.Infrastructure.Persistence;
using Maas.Plant.Responses;
using Maas.Plant.Sparkplug;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Maas.Plant.Mqtt;

/// <summary>
/// The MQTT 3.1.1/5 endpoint (MQTTnet.Server inside this process; TLS when a certificate is configured). Username is
/// free, the password is a tenant API key (<see cref="PlantKeyCheck"/>); a connection publishes and subscribes only
/// under <c>maas/{its tenant}/</c> (everything else is refused and logged). Requests go to
/// <see cref="PlantRequestHandler"/>; responses come back through <see cref="PublishAsync"/>, stored first, so
/// persistent sessions (clean start false) get them when they return, also after this process restarted (the session's
/// subscriptions and owed deliveries are in PostgreSQL and replayed when the client subscribes again).
/// </summary>
public sealed partial class PlantMqttEndpoint : IHostedService, IAsyncDisposable
{
    /// <summary>Sender of the messages this service publishes itself.</summary>
    public const string InternalSender = "maas-plant";

    private readonly PlantOptions _options;
    private readonly PlantKeyCheck _keys;
    private readonly PlantResponseStore _store;
    private readonly SparkplugContextStore _sparkplug;
    private readonly Lazy<PlantRequestHandler> _requests;
    private readonly ILogger<PlantMqttEndpoint> _logger;
    private readonly MqttServer _server;
    private readonly ConcurrentDictionary<string, PlantClient> _connected = new(StringComparer.Ordinal);
    private readonly HashSet<string> _sparkplugTenants;

    public PlantMqttEndpoint(
        IOptions<PlantOptions> options,
        PlantKeyCheck keys,
        PlantResponseStore store,
        SparkplugContextStore sparkplug,
        IServiceProvider services,
        ILogger<PlantMqttEndpoint> logger)
    {
        _options = options.Value;
        _keys = keys;
        _store = store;
        _sparkplug = sparkplug;
        _requests = new Lazy<PlantRequestHandler>(services.GetRequiredService<PlantRequestHandler>);
        _logger = logger;
        _sparkplugTenants = new HashSet<string>(_options.SparkplugTenants, StringComparer.Ordinal);

        var builder = new MqttServerFactory().CreateServerOptionsBuilder().WithPersistentSessions().WithMaxPendingMessagesPerClient(10_000);
        var address = IPAddress.Parse(_options.MqttBindAddress);
        if (_options.MqttPort > 0)
        {
            builder.WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(address).WithDefaultEndpointPort(_options.MqttPort);
        }
        else
        {
            builder.WithoutDefaultEndpoint();
        }

        if (_options.TlsCertificatePath is { } certificate)
        {
            builder.WithEncryptedEndpoint().WithEncryptedEndpointBoundIPAddress(address).WithEncryptedEndpointPort(_options.MqttTlsPort)
                .WithEncryptionCertificate(X509CertificateLoader.LoadPkcs12FromFile(certificate, _options.TlsCertificatePassword));
        }

        _server = new MqttServerFactory().CreateMqttServer(builder.Build());
        _server.ValidatingConnectionAsync += ValidateConnectionAsync;
        _server.ClientConnectedAsync += _ =>
        {
            PlantMetrics.Connected.Inc();
            return Task.CompletedTask;
        };
        _server.ClientDisconnectedAsync += e =>
        {
            PlantMetrics.Connected.Dec();
            if (e.SessionItems[PlantClient.SessionItemKey] is PlantClient client)
            {
                _connected.TryRemove(new KeyValuePair<string, PlantClient>(e.ClientId, client));
            }

            return Task.CompletedTask;
        };
        _server.InterceptingPublishAsync += InterceptPublishAsync;
        _server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        _server.ClientSubscribedTopicAsync += OnSubscribedAsync;
        _server.ClientUnsubscribedTopicAsync += async e =>
        {
            if (e.SessionItems[PlantClient.SessionItemKey] is PlantClient { Persistent: true } client)
            {
                await _store.RemoveSubscriptionAsync(client.ClientId, e.TopicFilter, CancellationToken.None);
            }
        };
        _server.ClientAcknowledgedPublishPacketAsync += OnAcknowledgedAsync;
    }

    /// <summary>This process's id in owed deliveries: responses it queued in the broker's memory are not replayed by it.</summary>
    public Guid Instance { get; } = Guid.NewGuid();

    public IReadOnlyCollection<PlantClient> ConnectedClients => [.. _connected.Values];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _server.StartAsync();
        LogListening(_logger, _options.MqttBindAddress, _options.MqttPort, _options.TlsCertificatePath is null ? 0 : _options.MqttTlsPort);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _server.StopAsync(new MqttServerStopOptions());

    public async ValueTask DisposeAsync()
    {
        if (_server.IsStarted)
        {
            await _server.StopAsync(new MqttServerStopOptions());
        }

        _server.Dispose();
    }

    /// <summary>Ends every connection of a key (revoked, or no longer found active).</summary>
    public async Task DisconnectKeyAsync(Guid keyId, string reason)
    {
        foreach (var client in _connected.Values.Where(c => c.KeyId == keyId).ToArray())
        {
            LogDisconnected(_logger, client.ClientId, client.TenantId, keyId, reason);
            try
            {
                await _server.DisconnectClientAsync(client.ClientId, new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.NotAuthorized, ReasonString = reason });
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Already gone.
            }

            _connected.TryRemove(new KeyValuePair<string, PlantClient>(client.ClientId, client));
        }
    }

    /// <summary>
    /// Publishes a response's messages (QoS 1) on its topic. When <paramref name="final"/> is true the response is
    /// complete: its persistent sessions were recorded as owed it before this call (see <see cref="OwedDeliveriesAsync"/>).
    /// </summary>
    public async Task PublishAsync(string tenantId, string requestId, IEnumerable<string> messages, CancellationToken cancellationToken)
    {
        var topic = PlantTopics.Response(tenantId, requestId);
        foreach (var message in messages)
        {
            var application = new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload(Encoding.UTF8.GetBytes(message))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithContentType("application/json")
                .Build();
            await _server.InjectApplicationMessage(new InjectedMqttApplicationMessage(application) { SenderClientId = InternalSender }, cancellationToken);
        }
    }

    /// <summary>
    /// The persistent sessions of the tenant subscribed to the response topic, each marked with whether the broker holds
    /// its session in memory (then the broker queues the messages itself while this process runs).
    /// </summary>
    public async Task<IReadOnlyList<PlantDelivery>> OwedDeliveriesAsync(string tenantId, string requestId, CancellationToken cancellationToken)
    {
        var topic = PlantTopics.Response(tenantId, requestId);
        var deliveries = new List<PlantDelivery>();
        foreach (var session in await _store.SessionsAsync(tenantId, cancellationToken))
        {
            if (!session.Filters.Any(f => MqttTopicFilterComparer.Compare(topic, f) == MqttTopicFilterCompareResult.IsMatch))
            {
                continue;
            }

            MqttSessionStatus? live = null;
            try
            {
                live = await _server.GetSessionAsync(session.ClientId);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // No session in memory.
            }

            deliveries.Add(new PlantDelivery
            {
                ClientId = session.ClientId,
                TenantId = tenantId,
                RequestId = requestId,
                CreatedAt = DateTimeOffset.UtcNow,
                QueuedBy = live is null ? null : Instance,
            });
        }

        return deliveries;
    }

    private async Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        var check = await _keys.CheckAsync(e.Password, e.CancellationToken);
        if (check.RefusedBecause is { } reason)
        {
            PlantMetrics.Connections.WithLabels(reason).Inc();
            LogConnectionRefused(_logger, e.ClientId, e.RemoteEndPoint?.ToString() ?? "?", reason);
            e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            return;
        }

        // MQTT 5 clients may leave the id to the server (MQTTnet refuses an empty id from MQTT 3.1.1 clients).
        var clientId = e.ClientId;
        if (string.IsNullOrEmpty(clientId) && e.ProtocolVersion == MqttProtocolVersion.V500)
        {
            clientId = e.AssignedClientIdentifier = "maas-" + Guid.NewGuid().ToString("N");
        }

        // Client ids are broker-wide: a tenant must never take over (or read the owed messages of) another tenant's session.
        var owner = await _store.SessionOwnerAsync(clientId, e.CancellationToken);
        if ((owner is not null && owner != check.TenantId) || (_connected.TryGetValue(clientId, out var other) && other.TenantId != check.TenantId))
        {
            PlantMetrics.Connections.WithLabels("client_id_taken").Inc();
            LogClientIdTaken(_logger, clientId, check.TenantId);
            e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            return;
        }

        var persistent = e.CleanSession == false;
        if (!persistent && owner is not null)
        {
            await _store.EndSessionAsync(clientId, check.TenantId, e.CancellationToken);
        }

        var client = new PlantClient(clientId, check.TenantId, check.KeyId, check.KeyRequestsPerMinute, check.TenantRequestsPerMinute, persistent);
        e.SessionItems[PlantClient.SessionItemKey] = client;
        _connected[clientId] = client;
        PlantMetrics.Connections.WithLabels("accepted").Inc();
        e.ReasonCode = MqttConnectReasonCode.Success;
    }

    private Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        if (e.ClientId == InternalSender)
        {
            return Task.CompletedTask;
        }

        if (e.SessionItems[PlantClient.SessionItemKey] is not PlantClient client)
        {
            // Will messages of connections that were refused never get here; anything else without a key is refused.
            e.ProcessPublish = false;
            return Task.CompletedTask;
        }

        var topic = e.ApplicationMessage.Topic;
        if (PlantTopics.SparkplugPart(topic, client.TenantId) is { } sparkplugTopic && SparkplugTopic.TryParse(sparkplugTopic) is { } parsed
            && _sparkplugTenants.Contains(client.TenantId))
        {
            var outcome = _sparkplug.Apply(client.TenantId, parsed, e.ApplicationMessage.Payload.ToArray());
            PlantMetrics.Sparkplug.WithLabels(outcome.ToString()).Inc();
            if (outcome is SparkplugOutcome.Malformed or SparkplugOutcome.AppliedAfterSequenceGap or SparkplugOutcome.IgnoredBeforeBirth or SparkplugOutcome.IgnoredStaleDeath)
            {
                LogSparkplug(_logger, client.TenantId, sparkplugTopic, outcome);
            }

            // Plain spBv1.0 topics are not the tenant's to route: they are consumed here and go nowhere else.
            e.ProcessPublish = topic != sparkplugTopic;
            return Task.CompletedTask;
        }

        if (!PlantTopics.IsInTenantNamespace(topic, client.TenantId) || PlantTopics.ResponseRequestId(topic, client.TenantId) is not null)
        {
            Refuse(e, client, topic);
            return Task.CompletedTask;
        }

        if (PlantTopics.RequestId(topic, client.TenantId) is { } requestId)
        {
            // Requests are for this service, not for other subscribers; the generation runs in the background.
            e.ProcessPublish = false;
            _requests.Value.Accept(client, requestId, e.ApplicationMessage.Payload.ToArray());
        }

        return Task.CompletedTask;
    }

    private void Refuse(InterceptingPublishEventArgs e, PlantClient client, string topic)
    {
        PlantMetrics.Refused.WithLabels("publish").Inc();
        LogRefused(_logger, "publish to", topic, client.ClientId, client.TenantId);
        e.ProcessPublish = false;
        e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
        e.Response.ReasonString = $"Publishing is allowed only under {PlantTopics.Prefix(client.TenantId)} (responses are published by Maas).";
    }

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        if (e.SessionItems[PlantClient.SessionItemKey] is PlantClient client && PlantTopics.IsInTenantNamespace(e.TopicFilter.Topic, client.TenantId))
        {
            return Task.CompletedTask;
        }

        var who = e.SessionItems[PlantClient.SessionItemKey] as PlantClient;
        PlantMetrics.Refused.WithLabels("subscribe").Inc();
        LogRefused(_logger, "subscription to", e.TopicFilter.Topic, e.ClientId, who?.TenantId ?? "?");
        e.ProcessSubscription = false;
        e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        e.Response.ReasonString = who is null ? "Not authorized." : $"Subscriptions are allowed only under {PlantTopics.Prefix(who.TenantId)}.";
        return Task.CompletedTask;
    }

    /// <summary>A persistent session's subscription is remembered, and what it is owed from before this process is replayed into it.</summary>
    private async Task OnSubscribedAsync(ClientSubscribedTopicEventArgs e)
    {
        if (e.SessionItems[PlantClient.SessionItemKey] is not PlantClient { Persistent: true } client)
        {
            return;
        }

        try
        {
            await _store.AddSubscriptionAsync(client.ClientId, client.TenantId, e.TopicFilter.Topic, CancellationToken.None);
            var session = await _server.GetSessionAsync(client.ClientId);
            var replayed = (HashSet<string>?)e.SessionItems["maas.plant.replayed"] ?? [];
            e.SessionItems["maas.plant.replayed"] = replayed;
            foreach (var response in await _store.PendingAsync(client.ClientId, client.TenantId, Instance, CancellationToken.None))
            {
                var topic = PlantTopics.Response(response.TenantId, response.RequestId);
                if (MqttTopicFilterComparer.Compare(topic, e.TopicFilter.Topic) != MqttTopicFilterCompareResult.IsMatch || !replayed.Add(response.RequestId))
                {
                    continue;
                }

                foreach (var message in response.Messages)
                {
                    session.TryEnqueueApplicationMessage(new MqttApplicationMessageBuilder()
                        .WithTopic(topic)
                        .WithPayload(Encoding.UTF8.GetBytes(message))
                        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                        .WithContentType("application/json")
                        .Build(), out _);
                }

                PlantMetrics.Redeliveries.WithLabels("reconnect").Inc();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReplayFailed(_logger, ex, client.ClientId);
        }
    }

    /// <summary>The final message of a response acknowledged by a persistent session: nothing is owed to it any more.</summary>
    private async Task OnAcknowledgedAsync(ClientAcknowledgedPublishPacketEventArgs e)
    {
        if (e.SessionItems[PlantClient.SessionItemKey] is not PlantClient { Persistent: true } client
            || PlantTopics.ResponseRequestId(e.PublishPacket.Topic, client.TenantId) is not { } requestId
            || !IsFinalMessage(e.PublishPacket.Payload))
        {
            return;
        }

        try
        {
            await _store.MarkDeliveredAsync(client.ClientId, client.TenantId, requestId, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Still owed: delivered again on the next reconnect, which QoS 1 allows.
            LogReplayFailed(_logger, ex, client.ClientId);
        }
    }

    /// <summary>A response's last message carries usage (a completion or the usage chunk) or is an error.</summary>
    public static bool IsFinalMessage(ReadOnlySequence<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object
                && (root.TryGetProperty("error", out _) || (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT endpoint listening on {Address} port {Port} (TLS port {TlsPort}, 0 = off)")]
    private static partial void LogListening(ILogger logger, string address, int port, int tlsPort);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT connection of client {ClientId} from {Endpoint} refused: key {Reason}")]
    private static partial void LogConnectionRefused(ILogger logger, string clientId, string endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT client id {ClientId} belongs to another tenant's session; connection of tenant {TenantId} refused")]
    private static partial void LogClientIdTaken(ILogger logger, string clientId, string tenantId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Operation} {Topic} by client {ClientId} of tenant {TenantId}: outside its namespace")]
    private static partial void LogRefused(ILogger logger, string operation, string topic, string clientId, string tenantId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Disconnected MQTT client {ClientId} of tenant {TenantId}: key {KeyId} {Reason}")]
    private static partial void LogDisconnected(ILogger logger, string clientId, string tenantId, Guid keyId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sparkplug B message of tenant {TenantId} on {Topic}: {Outcome}")]
    private static partial void LogSparkplug(ILogger logger, string tenantId, string topic, SparkplugOutcome outcome);

    [LoggerMessage(Level = LogLevel.Error, Message = "Replaying or acknowledging owed responses of client {ClientId} failed")]
    private static partial void LogReplayFailed(ILogger logger, Exception exception, string clientId);
}
