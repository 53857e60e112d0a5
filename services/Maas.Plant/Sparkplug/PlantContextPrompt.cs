using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maas.Generation.Requests;
using Maas.Infrastructure.OpenAi;
using Maas.Tokenization;

namespace Maas.Plant.Sparkplug;

/// <summary>
/// <c>"maas_context": {"devices": ["Line3/Press2", …]}</c> in a plant's request body: the named devices' current
/// Sparkplug B values are put in front of the prompt (a system message for chat, a preamble for completions), stale
/// ones marked as such, unknown ones said to have no data.
/// </summary>
public static class PlantContextPrompt
{
    public const string Field = "maas_context";
    public const int MaxDevices = 32;

    /// <summary>The device names asked for; empty when the body has no maas_context. Bad shapes are a 400 naming the field.</summary>
    public static IReadOnlyList<string> RequestedDevices(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty(Field, out var context) || context.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (context.ValueKind != JsonValueKind.Object || !context.TryGetProperty("devices", out var devices) || devices.ValueKind != JsonValueKind.Array)
        {
            throw new ApiErrorException(ApiError.InvalidValue(Field, "'maas_context' must be an object with a 'devices' array of device names."));
        }

        if (devices.GetArrayLength() > MaxDevices)
        {
            throw new ApiErrorException(ApiError.InvalidValue(Field + ".devices", $"'maas_context.devices' may name at most {MaxDevices} devices."));
        }

        var names = new List<string>();
        foreach (var device in devices.EnumerateArray())
        {
            if (device.ValueKind != JsonValueKind.String || device.GetString() is not { Length: > 0 and <= 256 } name)
            {
                throw new ApiErrorException(ApiError.InvalidValue(Field + ".devices", "Every entry of 'maas_context.devices' must be a device name such as \"Line3/Press2\"."));
            }

            names.Add(name);
        }

        return names;
    }

    /// <summary>The request with the devices' values in front of its prompt.</summary>
    public static ValidatedGeneration WithContext(ValidatedGeneration request, IReadOnlyList<DeviceSnapshot> devices)
    {
        if (devices.Count == 0)
        {
            return request;
        }

        var text = Render(devices);
        return request.Kind == GenerationKind.Chat
            ? request with { Messages = [new ChatMessage("system", text), .. request.Messages] }
            : request with { Prompt = text + "\n\n" + request.Prompt };
    }

    /// <summary>
    /// The response JSON with <c>"maas_context": {"text": …}</c> added: the device values the prompt carried. Unchanged
    /// when the request asked for no context.
    /// </summary>
    public static string Annotate(string responseJson, string? contextText)
    {
        if (contextText is null)
        {
            return responseJson;
        }

        var response = JsonNode.Parse(responseJson)!.AsObject();
        response[Field] = new JsonObject { ["text"] = contextText };
        return response.ToJsonString(OpenAiJson.Options);
    }

    public static string Render(IReadOnlyList<DeviceSnapshot> devices)
    {
        var text = new StringBuilder("Current plant data (Sparkplug B):");
        foreach (var device in devices)
        {
            text.Append("\n- ").Append(device.Name).Append(": ");
            if (!device.Known)
            {
                text.Append("no data");
                continue;
            }

            if (device.Stale)
            {
                text.Append("STALE (offline since ").Append(device.StaleSince!.Value.ToString("u", CultureInfo.InvariantCulture)).Append("), last values ");
            }

            text.Append(string.Join(", ", device.Metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Name} = {m.Value} (at {m.Timestamp:u})"))));
        }

        return text.ToString();
    }
}
