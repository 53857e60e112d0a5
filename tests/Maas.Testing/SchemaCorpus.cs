namespace Maas.Testing;

/// <summary>
/// JSON Schemas that structured-output tests and benchmarks constrain generation with: together they use every
/// supported keyword (objects with required and optional members, enums, const, nested arrays with bounds, anyOf,
/// $ref recursion, patterns, formats).
/// </summary>
public static class SchemaCorpus
{
    /// <summary>The benchmark's realistic schema: a plant maintenance ticket (strict mode shape: everything required).</summary>
    public const string MaintenanceTicket = """
        {
          "type": "object",
          "properties": {
            "ticket_id": { "type": "string", "pattern": "^MT-[0-9]{6}$" },
            "asset": {
              "type": "object",
              "properties": {
                "plant": { "type": "string", "enum": ["Hamburg", "Lyon", "Torino", "Brno"] },
                "line": { "type": "integer" },
                "tag": { "type": "string" }
              },
              "required": ["plant", "line", "tag"],
              "additionalProperties": false
            },
            "priority": { "type": "string", "enum": ["low", "medium", "high", "critical"] },
            "category": { "type": "string", "enum": ["mechanical", "electrical", "hydraulic", "software", "safety"] },
            "reported_on": { "type": "string", "format": "date" },
            "summary": { "type": "string" },
            "safety_stop": { "type": "boolean" },
            "estimated_hours": { "type": "number" },
            "parts": {
              "type": "array",
              "maxItems": 4,
              "items": {
                "type": "object",
                "properties": {
                  "part_number": { "type": "string" },
                  "quantity": { "type": "integer" }
                },
                "required": ["part_number", "quantity"],
                "additionalProperties": false
              }
            },
            "assignee": { "anyOf": [{ "type": "string" }, { "type": "null" }] }
          },
          "required": ["ticket_id", "asset", "priority", "category", "reported_on", "summary", "safety_stop", "estimated_hours", "parts", "assignee"],
          "additionalProperties": false
        }
        """;

    public const string RecursiveTree = """
        {
          "$defs": {
            "node": {
              "type": "object",
              "properties": {
                "name": { "type": "string", "enum": ["root", "branch", "leaf"] },
                "children": { "type": "array", "maxItems": 2, "items": { "$ref": "#/$defs/node" } }
              },
              "required": ["name", "children"],
              "additionalProperties": false
            }
          },
          "$ref": "#/$defs/node"
        }
        """;

    public const string OptionalMembers = """
        {
          "type": "object",
          "properties": {
            "a": { "type": "integer" },
            "b": { "type": ["string", "null"] },
            "c": { "const": "fixed" },
            "d": { "type": "array", "items": { "type": "number" }, "minItems": 1, "maxItems": 3 }
          },
          "required": ["c"],
          "additionalProperties": false
        }
        """;

    public const string FormatsAndPatterns = """
        {
          "type": "object",
          "properties": {
            "id": { "type": "string", "format": "uuid" },
            "at": { "type": "string", "format": "date-time" },
            "shift": { "type": "string", "pattern": "^(early|late|night)-[A-C]$" },
            "code": { "type": "string", "pattern": "^[A-Z]{2}\\d{2,3}$" },
            "flags": { "type": "array", "items": { "type": "boolean" }, "maxItems": 5 }
          },
          "required": ["id", "at", "shift", "code", "flags"],
          "additionalProperties": false
        }
        """;

    /// <summary>Tool parameters: a work order.</summary>
    public const string OpenWorkOrder = """
        {
          "type": "object",
          "properties": {
            "asset_tag": { "type": "string" },
            "priority": { "type": "string", "enum": ["low", "high"] },
            "due": { "type": "string", "format": "date" }
          },
          "required": ["asset_tag", "priority", "due"],
          "additionalProperties": false
        }
        """;

    /// <summary>Tool parameters: a sensor read.</summary>
    public const string ReadSensor = """
        {
          "type": "object",
          "properties": {
            "sensor": { "type": "string", "enum": ["temperature", "pressure", "vibration"] },
            "samples": { "type": "integer" }
          },
          "required": ["sensor", "samples"],
          "additionalProperties": false
        }
        """;

    public static IReadOnlyDictionary<string, string> All { get; } = new Dictionary<string, string>
    {
        [nameof(MaintenanceTicket)] = MaintenanceTicket,
        [nameof(RecursiveTree)] = RecursiveTree,
        [nameof(OptionalMembers)] = OptionalMembers,
        [nameof(FormatsAndPatterns)] = FormatsAndPatterns,
        [nameof(OpenWorkOrder)] = OpenWorkOrder,
        [nameof(ReadSensor)] = ReadSensor,
    };
}
