using System.Text;
using System.Text.Json;
using Maas.Infrastructure.Persistence;

namespace Maas.Api.Batches;

/// <summary>
/// Reads a batch input file: JSONL, one <c>{"custom_id", "method": "POST", "url", "body"}</c> per line, every url the
/// batch's endpoint, custom ids unique. Returns the lines, or every problem found (OpenAI's validation errors, 1-based
/// line numbers) so the batch fails with all of them at once.
/// </summary>
public static class BatchInputParser
{
    private const int MaxErrors = 100;

    public static (IReadOnlyList<BatchLine> Lines, IReadOnlyList<BatchLineError> Errors) Parse(string batchId, string endpoint, byte[] content, int maxLines)
    {
        var lines = new List<BatchLine>();
        var errors = new List<BatchLineError>();
        var customIds = new HashSet<string>(StringComparer.Ordinal);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content);
        }
        catch (DecoderFallbackException)
        {
            return ([], [new BatchLineError("invalid_file_format", "The input file is not UTF-8 text.", null, null)]);
        }

        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                continue;
            }

            if (lines.Count >= maxLines)
            {
                errors.Add(new BatchLineError("too_many_requests", $"A batch may have at most {maxLines} requests.", null, number));
                break;
            }

            var error = ParseLine(batchId, endpoint, line, lines.Count, customIds, out var parsed);
            if (error is not null)
            {
                errors.Add(error with { Line = number });
                if (errors.Count >= MaxErrors)
                {
                    break;
                }
            }
            else
            {
                lines.Add(parsed!);
            }
        }

        if (lines.Count == 0 && errors.Count == 0)
        {
            errors.Add(new BatchLineError("empty_file", "The input file has no requests.", null, null));
        }

        return (lines, errors);
    }

    private static BatchLineError? ParseLine(string batchId, string endpoint, string line, int index, HashSet<string> customIds, out BatchLine? parsed)
    {
        parsed = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            return new BatchLineError("invalid_json_line", "This line is not valid JSON.", null, null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new BatchLineError("invalid_json_line", "This line is not a JSON object.", null, null);
            }

            if (!root.TryGetProperty("custom_id", out var customId) || customId.ValueKind != JsonValueKind.String || customId.GetString() is not { Length: > 0 and <= 512 } id)
            {
                return new BatchLineError("missing_required_parameter", "Each line needs a 'custom_id' string (1 to 512 characters).", "custom_id", null);
            }

            if (!customIds.Add(id))
            {
                return new BatchLineError("duplicate_custom_id", $"The custom_id '{id}' is used by more than one line.", "custom_id", null);
            }

            if (!root.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String || method.GetString() != "POST")
            {
                return new BatchLineError("invalid_method", "'method' must be \"POST\".", "method", null);
            }

            if (!root.TryGetProperty("url", out var url) || url.ValueKind != JsonValueKind.String || url.GetString() != endpoint)
            {
                return new BatchLineError("mismatched_endpoint", $"'url' must be the batch's endpoint, \"{endpoint}\".", "url", null);
            }

            if (!root.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.Object)
            {
                return new BatchLineError("missing_required_parameter", "Each line needs a 'body' object.", "body", null);
            }

            parsed = new BatchLine { BatchId = batchId, LineIndex = index, CustomId = id, Body = body.GetRawText(), Status = BatchLineStatuses.Pending };
            return null;
        }
    }
}
