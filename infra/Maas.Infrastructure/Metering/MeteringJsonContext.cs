using System.Text.Json.Serialization;

namespace Maas.Infrastructure.Metering;

/// <summary>The spill's line format: one <see cref="UsageRecord"/> as compact JSON, enums as names.</summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UsageRecord))]
internal sealed partial class MeteringJsonContext : JsonSerializerContext;
