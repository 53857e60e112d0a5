using System.Text;
using Maas.Grammar;

namespace Maas.Grains.Abstractions.Models;

/// <summary>
/// A request's structured-output constraint as it travels to the worker: plain data (schemas as JSON text), compiled
/// into a grammar on each side with <see cref="Compile"/> (the api to validate, the worker to generate), both through a
/// per-process cache keyed by <see cref="Key"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("Maas.OutputConstraint")]
public sealed record OutputConstraint
{
    private static readonly GrammarCache Grammars = new();

    [Id(0)]
    public required OutputConstraintKind Kind { get; init; }

    /// <summary>JsonSchema: the schema's JSON text.</summary>
    [Id(1)]
    public string? Schema { get; init; }

    /// <summary>ToolCalls: the functions the model may call (one for a named tool_choice).</summary>
    [Id(2)]
    public ToolFunction[] Tools { get; init; } = [];

    /// <summary>ToolCalls: only tool calls (tool_choice required or named), or text until the model starts calling (auto).</summary>
    [Id(3)]
    public bool ToolCallRequired { get; init; }

    [Id(4)]
    public bool ParallelToolCalls { get; init; } = true;

    /// <summary>Names the grammar completely: equal keys, equal grammars.</summary>
    public string Key
    {
        get
        {
            var key = new StringBuilder().Append((int)Kind).Append('\u0001').Append(Schema).Append('\u0001')
                .Append(ToolCallRequired).Append('\u0001').Append(ParallelToolCalls);
            foreach (var tool in Tools)
            {
                key.Append('\u0001').Append(tool.Name).Append('\u0002').Append(tool.Parameters);
            }

            return key.ToString();
        }
    }

    /// <summary>The grammar (from the process's cache when compiled before).</summary>
    /// <exception cref="GrammarException">A schema uses what structured outputs do not support; the exception names it and the request field.</exception>
    public Maas.Grammar.Grammar Compile() => Grammars.GetOrCompile(Key, () => Kind switch
    {
        OutputConstraintKind.JsonObject => GrammarCompiler.JsonObject(),
        OutputConstraintKind.JsonSchema => GrammarCompiler.JsonSchema(Schema ?? "{}", "response_format.json_schema.schema"),
        OutputConstraintKind.ToolCalls => GrammarCompiler.ToolCalls(
            [.. Tools.Select(t => new ToolDefinition(t.Name, t.Parameters))],
            ToolCallRequired ? ToolCallMode.Required : ToolCallMode.Auto,
            ParallelToolCalls),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, null),
    });
}
