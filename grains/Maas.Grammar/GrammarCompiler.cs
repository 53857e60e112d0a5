using System.Text.Json;

namespace Maas.Grammar;

/// <summary>
/// The grammars of structured outputs: any JSON object (response_format json_object), a JSON Schema (json_schema), and
/// DeepSeek tool calls whose arguments follow each function's parameters schema. Compiling checks the schema and
/// throws <see cref="GrammarException"/> naming what is not supported; it needs no tokenizer, so the api validates
/// requests with it and the worker compiles the same grammar (cached by <see cref="GrammarCache"/>).
/// </summary>
public static class GrammarCompiler
{
    /// <summary>Most tools a request may declare.</summary>
    public const int MaxTools = 128;

    public static Grammar JsonObject()
    {
        var builder = new GrammarBuilder();
        var json = new JsonText(builder);
        var root = builder.DeclareRule("root");
        builder.Define(root, json.AnyObject);
        return builder.Build(root);
    }

    /// <param name="schema">The schema's JSON text.</param>
    /// <param name="param">The request field that holds it, for errors.</param>
    public static Grammar JsonSchema(string schema, string param)
    {
        using var document = Parse(schema, param);
        var builder = new GrammarBuilder();
        var json = new JsonText(builder);
        var compiler = new JsonSchemaCompiler(json, document.RootElement, param);
        var root = builder.DeclareRule("root");
        builder.Define(root, () => compiler.Value(document.RootElement, "#"));
        return builder.Build(root);
    }

    /// <summary>One or more DeepSeek tool calls (just one unless <paramref name="parallel"/>) to any of <paramref name="tools"/>.</summary>
    public static Grammar ToolCalls(IReadOnlyList<ToolDefinition> tools, ToolCallMode mode, bool parallel, string param = "tools")
    {
        ArgumentNullException.ThrowIfNull(tools);
        if (tools.Count == 0)
        {
            throw new GrammarException("Tool calls need at least one tool.", param);
        }

        var documents = new List<JsonDocument>();
        try
        {
            var builder = new GrammarBuilder();
            var json = new JsonText(builder);
            var call = builder.DeclareRule("tool-call");
            builder.Define(call, () =>
            {
                var alternatives = new List<GrammarFragment>();
                for (var i = 0; i < tools.Count; i++)
                {
                    var document = Parse(tools[i].ParametersSchema, $"{param}[{i}].function.parameters");
                    documents.Add(document);
                    var compiler = new JsonSchemaCompiler(json, document.RootElement, $"{param}[{i}].function.parameters");
                    alternatives.Add(builder.Sequence(
                        builder.Literal(tools[i].Name + DeepSeekToolCalls.ArgumentsOpen),
                        compiler.Value(document.RootElement, "#"),
                        builder.Literal(DeepSeekToolCalls.ArgumentsClose)));
                }

                return builder.Sequence(
                    builder.Special(DeepSeekToolCalls.CallBegin),
                    builder.Literal(DeepSeekToolCalls.FunctionType),
                    builder.Special(DeepSeekToolCalls.Separator),
                    builder.Choice([.. alternatives]),
                    builder.Special(DeepSeekToolCalls.CallEnd));
            });

            var root = builder.DeclareRule("tool-calls");
            builder.Define(root, () =>
            {
                var calls = builder.Sequence(
                    builder.Call(call),
                    parallel ? builder.Star(builder.Sequence(builder.Literal("\n"), builder.Call(call))) : builder.Empty(),
                    builder.Special(DeepSeekToolCalls.CallsEnd));
                return mode == ToolCallMode.Required ? builder.Sequence(builder.Special(DeepSeekToolCalls.CallsBegin), calls) : calls;
            });

            // Auto: free text until the model opens the calls block itself.
            var grammar = builder.Build(root);
            return mode == ToolCallMode.Auto ? grammar.WithTrigger(DeepSeekToolCalls.CallsBegin) : grammar;
        }
        finally
        {
            foreach (var document in documents)
            {
                document.Dispose();
            }
        }
    }

    private static JsonDocument Parse(string schema, string param)
    {
        try
        {
            return JsonDocument.Parse(schema, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new GrammarException($"The schema is not valid JSON: {ex.Message}", param);
        }
    }
}
