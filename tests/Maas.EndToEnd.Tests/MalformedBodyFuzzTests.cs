using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Maas.EndToEnd.Tests;

/// <summary>
/// Issue 16, item 4: hundreds of malformed and mutated bodies through gateway, api and worker. None may get a
/// status of 500 or more, every error must be the OpenAI shape (a 400 with <c>param</c> set), and the service must
/// serve normally afterwards. Deterministic: the mutations come from a fixed seed, so a failure names a body that
/// fails again.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class MalformedBodyFuzzTests(PlatformFixture platform, ITestOutputHelper output)
{
    private const int Mutations = 360;

    private static readonly string[] ValidBodies =
    [
        $$"""{"model": "{{PlatformFixture.Model}}", "max_tokens": 1, "messages": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Pump 7 status? 温度"}], "temperature": 0.7, "top_p": 0.9, "stop": ["\n\n", "END"], "seed": 42}""",
        $$"""{"model": "{{PlatformFixture.Model}}", "max_tokens": 2, "messages": [{"role": "user", "content": [{"type": "text", "text": "part one"}, {"type": "text", "text": "part two 🦀"}]}], "logprobs": true, "top_logprobs": 2}""",
        $$"""{"model": "{{PlatformFixture.Model}}", "max_tokens": 1, "prompt": "Line 3 vibration <｜User｜> report", "logprobs": 1, "frequency_penalty": 0.5, "presence_penalty": -0.5}""",
        $$"""{"model": "{{PlatformFixture.Model}}", "max_completion_tokens": 1, "stream": true, "stream_options": {"include_usage": true}, "messages": [{"role": "developer", "content": "x"}, {"role": "user", "content": "y"}, {"role": "assistant", "content": null}, {"role": "user", "content": "z"}]}""",
    ];

    [Fact]
    public async Task Hundreds_of_malformed_and_mutated_bodies_get_no_5xx_and_leave_the_service_healthy()
    {
        var bodies = new List<(string Endpoint, byte[] Body)>();
        foreach (var body in HandWritten())
        {
            bodies.Add(("/v1/chat/completions", body));
            bodies.Add(("/v1/completions", body));
        }

        var random = new Random(1616);
        for (var i = 0; i < Mutations; i++)
        {
            var source = ValidBodies[random.Next(ValidBodies.Length)];
            var endpoint = source.Contains("\"prompt\"", StringComparison.Ordinal) ? "/v1/completions" : "/v1/chat/completions";
            bodies.Add((endpoint, Mutate(Encoding.UTF8.GetBytes(source), random)));
        }

        var failures = new ConcurrentBag<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        using var http = OpenAiClients.Http(platform, platform.Main);
        await Parallel.ForEachAsync(bodies, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (item, ct) =>
        {
            using var content = new ByteArrayContent(item.Body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync(item.Endpoint, content, ct);
            var status = (int)response.StatusCode;
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (status >= 500 || (status >= 400 && !IsOpenAiError(text, requireParam: status == 400)))
            {
                failures.Add($"{status} {item.Endpoint} {Show(item.Body)} -> {text}");
            }
        });

        output.WriteLine($"{bodies.Count} bodies; statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} x{s.Value}"))}");
        Assert.True(failures.IsEmpty, $"{failures.Count} of {bodies.Count} bodies failed:\n{string.Join('\n', failures.Take(20))}");
        Assert.True(statuses.Keys.Count(s => s == 400) > 0 && bodies.Count >= 400, string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));

        // Still healthy: the processes live and a normal request is served.
        Assert.False(platform.Api.HasExited || platform.Worker.HasExited || platform.Gateway.HasExited);
        using var ok = await http.PostAsync("/v1/chat/completions", new StringContent(ValidBodies[0], Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    private static IEnumerable<byte[]> HandWritten()
    {
        static byte[] A(string s) => Encoding.UTF8.GetBytes(s);
        var m = PlatformFixture.Model;
        yield return [];
        yield return A("{");
        yield return A("null");
        yield return A("[]");
        yield return A("42");
        yield return A("\"text\"");
        yield return A("{}");
        yield return A($$"""{"model": "{{m}}"}""");
        yield return A($$"""{"model": "{{m}}", "messages": [], "prompt": []}""");
        yield return [.. A($$"""{"model": "{{m}}", "prompt": "a"""), 0xFF, .. A("\", \"messages\": [{\"role\": \"user\", \"content\": \"\u00ff"), 0xC0, 0x80, .. A("\"}]}")];
        yield return [.. A($$"""{"model": "{{m}}", "prompt": "a"""), 0xED, 0xA0, 0x80, .. A("\", \"messages\": [{\"role\": \"user\", \"content\": \"b"), 0xF4, 0x90, 0x80, 0x80, .. A("\"}]}")];
        yield return A($$"""{"model": "{{m}}", "prompt": "\ud800", "messages": [{"role": "user", "content": "\udc00x"}]}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "\uD83E\uDD80 ok \u0000 nul", "messages": [{"role": "user", "content": "\uDD80\uD83E"}]}""");
        yield return A($$"""{"model": "{{m}}", "prompt": """ + new string('[', 5000) + new string(']', 5000) + "}");
        yield return A($$"""{"model": "{{m}}", "messages": """ + string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200) + "}");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1e400}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "max_tokens": -1e400, "temperature": 1e400}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 99999999999999999999999}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "seed": -99999999999999999999999, "max_tokens": 1}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "top_k": 1e10, "max_tokens": 1}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "logprobs": 1e300, "top_logprobs": -1e300, "max_tokens": 1}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "n": 1.0000000001, "max_tokens": 1}""");
        yield return A($$"""{"model": ["{{m}}"], "prompt": {"a": 1}, "messages": "hi", "max_tokens": "1", "stream": "true", "temperature": [0]}""");
        yield return A($$"""{"model": {"id": "{{m}}"}, "prompt": true, "messages": [1, 2, 3]}""");
        yield return A($$"""{"model": "{{m}}", "prompt": [1, 2], "messages": [{"role": ["user"], "content": "hi"}]}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}], "max_tokens": 1}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": [{"type": "image_url"}, null]}], "max_tokens": 1}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "stop": [""" + string.Join(",", Enumerable.Repeat("\"s\"", 1000)) + "], \"max_tokens\": 1}");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "stop": "{{new string('s', 20_000)}}", "max_tokens": 1}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "stop": ["", null], "max_tokens": 1}""");
        yield return A($$"""{"model": "{{m}}", "messages": [""" + string.Join(",", Enumerable.Repeat("""{"role":"user","content":"a"}""", 2100)) + "], \"prompt\": \"x\", \"max_tokens\": 1}");
        yield return A($$"""{"model": "{{new string('m', 5000)}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}]}""");
        yield return A($$"""{"model": "{{m}}", "model": 5, "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1} {"second": "document"}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1, }""");
        yield return A($$"""{'model': '{{m}}'}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "stream": false, "stream_options": {"include_usage": 1}, "max_tokens": 1}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5000}""");
        yield return A($$"""{"model": "{{m}}", "prompt": "{{new string('x', 100_000)}}", "messages": [{"role": "user", "content": "{{new string('<', 100_000)}}"}], "max_tokens": 1}""");
        yield return [0xEF, 0xBB, 0xBF, .. A($$"""{"model": "{{m}}", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}""")];
        yield return [0xFF, 0xFE, .. Encoding.Unicode.GetBytes($$"""{"model": "{{m}}", "prompt": "hi"}""")];
    }

    /// <summary>One to four random edits: byte flips (often into invalid UTF-8), deletions, truncation, inserted JSON fragments, swapped bytes.</summary>
    private static byte[] Mutate(byte[] source, Random random)
    {
        string[] fragments =
        [
            "null", "true", "[]", "{}", "-1", "0", "1e400", "-1e400", "99999999999999999999", "0.5", "\"\"", "\"\\ud800\"", "\"\\udc00\"",
            "[[[[[[[[", "]]]]", "{\"a\":", ",", ":", "\"", "\\", "\\u00", "\\uZZZZ", "\"max_tokens\": 3", "\"messages\": 5", "\"stop\": [1]",
            "\"role\": \"tool\"", "\"content\": {}", "<｜end▁of▁sentence｜>", "🦀", "\u0000",
        ];
        var bytes = new List<byte>(source);
        var edits = random.Next(1, 5);
        for (var e = 0; e < edits && bytes.Count > 0; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 12)));
                    break;
                case 2:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(fragments[random.Next(fragments.Length)]));
                    break;
                case 4:
                    bytes.Insert(at, (byte)(0x80 + random.Next(0x80)));
                    break;
                default:
                    var other = random.Next(bytes.Count);
                    (bytes[at], bytes[other]) = (bytes[other], bytes[at]);
                    break;
            }
        }

        return [.. bytes];
    }

    private static bool IsOpenAiError(string body, bool requireParam)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var error = json.RootElement.GetProperty("error");
            return error.GetProperty("message").ValueKind == JsonValueKind.String
                && error.GetProperty("type").ValueKind == JsonValueKind.String
                && error.TryGetProperty("code", out _)
                && error.TryGetProperty("param", out var param)
                && (!requireParam || param.ValueKind == JsonValueKind.String);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    private static string Show(byte[] body) =>
        body.Length > 300 ? Encoding.UTF8.GetString(body, 0, 300) + $"... ({body.Length} bytes)" : Encoding.UTF8.GetString(body);
}
