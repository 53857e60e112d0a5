using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Maas.Grammar;

/// <summary>
/// Compiles a JSON Schema into grammar fragments over compact JSON text. The subset is OpenAI's strict structured
/// outputs: <c>type</c> (one or a list), object <c>properties</c> / <c>required</c> / <c>additionalProperties</c>
/// (false, true or absent: only declared properties are generated, in declaration order), string, number, integer,
/// boolean, null, <c>enum</c>, <c>const</c>, array <c>items</c> / <c>minItems</c> / <c>maxItems</c>, <c>anyOf</c>,
/// <c>$ref</c> into <c>$defs</c> / <c>definitions</c> or <c>#</c> (recursion allowed), <c>pattern</c>, and the
/// formats date-time, date, time and uuid. Annotations (title, description, default, examples, ...) are ignored;
/// every other keyword is refused with a <see cref="GrammarException"/> naming it, never ignored.
/// </summary>
internal sealed class JsonSchemaCompiler
{
    /// <summary>Bounded repetitions are unrolled into the automaton; larger bounds are refused.</summary>
    public const int MaxUnrolledItems = 256;

    private static readonly HashSet<string> Annotations =
    [
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly", "strict",
    ];

    private static readonly HashSet<string> Supported =
    [
        "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum", "const", "anyOf",
        "$ref", "$defs", "definitions", "format", "pattern",
    ];

    private static readonly JsonSerializerOptions CompactOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly JsonText _json;
    private readonly GrammarBuilder _builder;
    private readonly JsonElement _root;
    private readonly string _param;
    private readonly Dictionary<string, int> _refRules = new(StringComparer.Ordinal);

    public JsonSchemaCompiler(JsonText json, JsonElement root, string param)
    {
        _json = json;
        _builder = json.Builder;
        _root = root;
        _param = param;
    }

    /// <summary>A JSON value valid against <paramref name="schema"/>.</summary>
    public GrammarFragment Value(JsonElement schema, string path)
    {
        if (schema.ValueKind == JsonValueKind.True)
        {
            return _json.AnyValue();
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            throw Fail(path, "a schema must be an object (or true)");
        }

        var constraining = new List<string>();
        foreach (var property in schema.EnumerateObject())
        {
            if (Annotations.Contains(property.Name))
            {
                continue;
            }

            if (!Supported.Contains(property.Name))
            {
                throw new GrammarException(
                    $"The schema keyword '{property.Name}' at {path} is not supported by structured outputs (supported: {string.Join(", ", Supported.Order(StringComparer.Ordinal))}).",
                    _param);
            }

            if (property.Name is not ("$defs" or "definitions"))
            {
                constraining.Add(property.Name);
            }
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            if (constraining.Count > 1)
            {
                throw Fail(path, $"'$ref' next to other constraints ({string.Join(", ", constraining.Where(k => k != "$ref"))}) is not supported");
            }

            return Reference(reference, path);
        }

        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            if (constraining.Count > 1)
            {
                throw Fail(path, $"'anyOf' next to other constraints ({string.Join(", ", constraining.Where(k => k != "anyOf"))}) is not supported");
            }

            if (anyOf.ValueKind != JsonValueKind.Array || anyOf.GetArrayLength() == 0)
            {
                throw Fail(path, "'anyOf' must be a non-empty array");
            }

            return _builder.Choice([.. anyOf.EnumerateArray().Select((s, i) => Value(s, $"{path}/anyOf/{i}"))]);
        }

        if (schema.TryGetProperty("const", out var constant))
        {
            return Literal(constant);
        }

        if (schema.TryGetProperty("enum", out var values))
        {
            if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0)
            {
                throw Fail(path, "'enum' must be a non-empty array");
            }

            return _builder.Choice([.. values.EnumerateArray().Select(Literal)]);
        }

        var types = Types(schema, path);
        return types.Count == 1
            ? Typed(schema, types[0], path)
            : _builder.Choice([.. types.Select(t => Typed(schema, t, path))]);
    }

    private List<string> Types(JsonElement schema, string path)
    {
        if (!schema.TryGetProperty("type", out var type))
        {
            if (schema.TryGetProperty("properties", out _))
            {
                return ["object"];
            }

            if (schema.TryGetProperty("items", out _))
            {
                return ["array"];
            }

            return schema.TryGetProperty("pattern", out _) || schema.TryGetProperty("format", out _) ? ["string"] : ["any"];
        }

        var names = type.ValueKind switch
        {
            JsonValueKind.String => [type.GetString()!],
            JsonValueKind.Array when type.GetArrayLength() > 0 && type.EnumerateArray().All(t => t.ValueKind == JsonValueKind.String) =>
                type.EnumerateArray().Select(t => t.GetString()!).ToList(),
            _ => throw Fail(path, "'type' must be a type name or an array of them"),
        };
        foreach (var name in names)
        {
            if (name is not ("object" or "array" or "string" or "number" or "integer" or "boolean" or "null"))
            {
                throw Fail(path, $"'type' {name} is not a JSON Schema type");
            }
        }

        return names;
    }

    private GrammarFragment Typed(JsonElement schema, string type, string path) => type switch
    {
        "object" => Object(schema, path),
        "array" => Array(schema, path),
        "string" => String(schema, path),
        "number" => _json.Number(),
        "integer" => _json.Integer(),
        "boolean" => _json.Boolean(),
        "null" => _json.Null(),
        _ => _json.AnyValue(),
    };

    private GrammarFragment String(JsonElement schema, string path)
    {
        var hasPattern = schema.TryGetProperty("pattern", out var pattern);
        var hasFormat = schema.TryGetProperty("format", out var format);
        if (hasPattern && hasFormat)
        {
            throw Fail(path, "'pattern' together with 'format' is not supported");
        }

        if (hasFormat)
        {
            var name = format.ValueKind == JsonValueKind.String ? format.GetString()! : throw Fail(path, "'format' must be a string");
            var regex = StringFormats.Pattern(name) ?? throw new GrammarException(
                $"The string format '{name}' at {path} is not supported by structured outputs (supported: {string.Join(", ", StringFormats.Names)}).", _param);
            return Quoted(PatternCompiler.Compile(_json, regex, _param));
        }

        if (hasPattern)
        {
            var regex = pattern.ValueKind == JsonValueKind.String ? pattern.GetString()! : throw Fail(path, "'pattern' must be a string");
            return Quoted(PatternCompiler.Compile(_json, regex, _param));
        }

        return _json.AnyString();
    }

    private GrammarFragment Quoted(GrammarFragment content) =>
        _builder.Sequence(_builder.Literal("\""), content, _builder.Literal("\""));

    private GrammarFragment Object(JsonElement schema, string path)
    {
        var hasProperties = schema.TryGetProperty("properties", out var properties);
        if (hasProperties && properties.ValueKind != JsonValueKind.Object)
        {
            throw Fail(path, "'properties' must be an object");
        }

        var additional = schema.TryGetProperty("additionalProperties", out var a) ? a : default;
        if (additional.ValueKind == JsonValueKind.Object)
        {
            throw Fail(path, "'additionalProperties' as a schema is not supported (use false)");
        }

        var required = new HashSet<string>(StringComparer.Ordinal);
        if (schema.TryGetProperty("required", out var requiredList))
        {
            if (requiredList.ValueKind != JsonValueKind.Array || !requiredList.EnumerateArray().All(r => r.ValueKind == JsonValueKind.String))
            {
                throw Fail(path, "'required' must be an array of property names");
            }

            required.UnionWith(requiredList.EnumerateArray().Select(r => r.GetString()!));
        }

        if (!hasProperties && required.Count == 0)
        {
            // No declared properties: any object unless additionalProperties is false.
            return additional.ValueKind == JsonValueKind.False ? _builder.Literal("{}") : _json.AnyObject();
        }

        var members = new List<(string Name, JsonElement Schema, bool Required)>();
        if (hasProperties)
        {
            foreach (var property in properties.EnumerateObject())
            {
                members.Add((property.Name, property.Value, required.Contains(property.Name)));
            }
        }

        foreach (var name in required)
        {
            if (!members.Any(m => m.Name == name))
            {
                members.Add((name, JsonDocument.Parse("true").RootElement, true));
            }
        }

        if (members.All(m => m.Required))
        {
            var parts = new List<GrammarFragment> { _builder.Literal("{") };
            for (var i = 0; i < members.Count; i++)
            {
                parts.Add(_builder.Literal((i == 0 ? "" : ",") + Key(members[i].Name)));
                parts.Add(Value(members[i].Schema, $"{path}/properties/{members[i].Name}"));
            }

            parts.Add(_builder.Literal("}"));
            return _builder.Sequence([.. parts]);
        }

        // Optional members: two lanes of states, "nothing written yet" and "something written" (a comma goes first).
        // Each value is its own rule so the two copies of a member do not copy the value's automaton.
        var open = _builder.Literal("{");
        var close = _builder.Literal("}");
        var none = _builder.Empty();
        var some = _builder.Empty();
        _builder.Link(open.End, none.Start);
        for (var i = 0; i < members.Count; i++)
        {
            var (name, memberSchema, isRequired) = members[i];
            var rule = _builder.DeclareRule($"{path}/properties/{name}");
            var memberPath = $"{path}/properties/{name}";
            _builder.Define(rule, () => Value(memberSchema, memberPath));
            var nextNone = _builder.Empty();
            var nextSome = _builder.Empty();
            var first = _builder.Sequence(_builder.Literal(Key(name)), _builder.Call(rule));
            _builder.Link(none.End, first.Start);
            _builder.Link(first.End, nextSome.Start);
            var later = _builder.Sequence(_builder.Literal("," + Key(name)), _builder.Call(rule));
            _builder.Link(some.End, later.Start);
            _builder.Link(later.End, nextSome.Start);
            if (!isRequired)
            {
                _builder.Link(none.End, nextNone.Start);
                _builder.Link(some.End, nextSome.Start);
            }

            none = nextNone;
            some = nextSome;
        }

        _builder.Link(none.End, close.Start);
        _builder.Link(some.End, close.Start);
        return new GrammarFragment(open.Start, close.End);
    }

    private GrammarFragment Array(JsonElement schema, string path)
    {
        var min = Count(schema, "minItems", path) ?? 0;
        var max = Count(schema, "maxItems", path);
        if (max < min)
        {
            throw Fail(path, "'maxItems' is below 'minItems'");
        }

        if (max == 0)
        {
            return _builder.Literal("[]");
        }

        var items = schema.TryGetProperty("items", out var i) ? i : JsonDocument.Parse("true").RootElement;
        var rule = _builder.DeclareRule($"{path}/items");
        _builder.Define(rule, () => Value(items, $"{path}/items"));
        var rest = _builder.Repeat(() => _builder.Sequence(_builder.Literal(","), _builder.Call(rule)), Math.Max(0, min - 1), max is { } m ? m - 1 : null);
        var list = _builder.Sequence(_builder.Call(rule), rest);
        return _builder.Sequence(_builder.Literal("["), min == 0 ? _builder.Optional(list) : list, _builder.Literal("]"));
    }

    private int? Count(JsonElement schema, string keyword, string path)
    {
        if (!schema.TryGetProperty(keyword, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var count) || count < 0)
        {
            throw Fail(path, $"'{keyword}' must be a non-negative integer");
        }

        return count <= MaxUnrolledItems
            ? count
            : throw new GrammarException($"'{keyword}' {count} at {path} is above {MaxUnrolledItems}, the most structured outputs support.", _param);
    }

    private GrammarFragment Reference(JsonElement reference, string path)
    {
        var target = reference.ValueKind == JsonValueKind.String ? reference.GetString()! : throw Fail(path, "'$ref' must be a string");
        if (!_refRules.TryGetValue(target, out var rule))
        {
            var resolved = Resolve(target, path);
            rule = _builder.DeclareRule(target);
            _refRules[target] = rule;
            _builder.Define(rule, () => Value(resolved, target));
        }

        return _builder.Call(rule);
    }

    private JsonElement Resolve(string reference, string path)
    {
        if (reference == "#")
        {
            return _root;
        }

        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            throw Fail(path, $"'$ref' {reference} is not a local reference (#/$defs/...)");
        }

        var current = _root;
        foreach (var segment in reference[2..].Split('/'))
        {
            var name = Uri.UnescapeDataString(segment).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                throw Fail(path, $"'$ref' {reference} points to nothing");
            }
        }

        return current;
    }

    private GrammarFragment Literal(JsonElement value) => _builder.Literal(JsonSerializer.Serialize(value, CompactOptions));

    private static string Key(string name) => JsonSerializer.Serialize(name, CompactOptions) + ":";

    private GrammarException Fail(string path, string message) => new($"Invalid schema at {path}: {message}.", _param);
}
