using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Json.Schema;
using Maas.Testing;
using Maas.Tokenization;
using ChatMessage = OpenAI.Chat.ChatMessage;
using OpenAI.Chat;

#pragma warning disable OPENAI001 // Seed: fixed seeds make the random model's runs repeatable.

namespace Maas.EndToEnd.Tests;

/// <summary>
/// Issue 17 through gateway, api and worker with the official OpenAI .NET SDK's own helpers: a random-weight model
/// under response_format json_schema / json_object and under tools always answers valid JSON (the grammar alone makes
/// it so), tool calls come back as message.tool_calls and as streamed tool-call updates, and what is not supported is a
/// 400 that names it.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class StructuredOutputsThroughGatewayTests(PlatformFixture platform)
{
    private static readonly EvaluationOptions Strict = new() { RequireFormatValidation = true, OutputFormat = OutputFormat.List };

    private ChatClient Chat => OpenAiClients.For(platform, platform.Main).GetChatClient(PlatformFixture.Model);

    [Theory]
    [InlineData(nameof(SchemaCorpus.MaintenanceTicket))]
    [InlineData(nameof(SchemaCorpus.RecursiveTree))]
    [InlineData(nameof(SchemaCorpus.OptionalMembers))]
    [InlineData(nameof(SchemaCorpus.FormatsAndPatterns))]
    public async Task Json_schema_output_of_a_random_model_parses_and_validates(string name)
    {
        var schemaText = SchemaCorpus.All[name];
        var schema = JsonSchema.FromText(schemaText);
        for (var seed = 1; seed <= 2; seed++)
        {
            var options = new ChatCompletionOptions
            {
                ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat(name, BinaryData.FromString(schemaText), jsonSchemaIsStrict: true),
                MaxOutputTokenCount = 300,
                Seed = seed,
            };
            ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("File a ticket for the leaking pump on line 3.")], options);
            var text = completion.Content[0].Text;
            using var document = JsonDocument.Parse(text);
            var result = schema.Evaluate(document.RootElement, Strict);
            Assert.True(result.IsValid, $"seed {seed}: {text}\n{JsonSerializer.Serialize(result)}");
            Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        }
    }

    [Fact]
    public async Task Json_object_output_streams_and_is_a_json_object()
    {
        var options = new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat(), MaxOutputTokenCount = 200, Seed = 5 };
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in Chat.CompleteChatStreamingAsync([new UserChatMessage("Shift report as JSON.")], options))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        using var document = JsonDocument.Parse(text.ToString());
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        Assert.Equal(ChatFinishReason.Stop, finish);
    }

    [Fact]
    public async Task Required_tool_choice_returns_tool_calls_whose_arguments_validate()
    {
        var tools = new[] { WorkOrderTool(), SensorTool() };
        var schemas = new Dictionary<string, JsonSchema>
        {
            ["open_work_order"] = JsonSchema.FromText(SchemaCorpus.OpenWorkOrder),
            ["read_sensor"] = JsonSchema.FromText(SchemaCorpus.ReadSensor),
        };
        for (var seed = 1; seed <= 2; seed++)
        {
            var options = new ChatCompletionOptions { ToolChoice = ChatToolChoice.CreateRequiredChoice(), MaxOutputTokenCount = 300, Seed = seed };
            foreach (var tool in tools)
            {
                options.Tools.Add(tool);
            }

            ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage("Pump 7 vibrates. Do something.")], options);

            Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
            Assert.NotEmpty(completion.ToolCalls);
            foreach (var call in completion.ToolCalls)
            {
                Assert.StartsWith("call_", call.Id, StringComparison.Ordinal);
                Assert.Equal(ChatToolCallKind.Function, call.Kind);
                using var arguments = JsonDocument.Parse(call.FunctionArguments.ToString());
                var result = schemas[call.FunctionName].Evaluate(arguments.RootElement, Strict);
                Assert.True(result.IsValid, $"{call.FunctionName}({call.FunctionArguments}): {JsonSerializer.Serialize(result)}");
            }
        }
    }

    [Fact]
    public async Task A_named_tool_choice_is_streamed_as_openai_tool_call_updates()
    {
        var options = new ChatCompletionOptions
        {
            ToolChoice = ChatToolChoice.CreateFunctionChoice("read_sensor"),
            MaxOutputTokenCount = 300,
            Seed = 9,
        };
        options.Tools.Add(WorkOrderTool());
        options.Tools.Add(SensorTool());

        var names = new Dictionary<int, string>();
        var ids = new Dictionary<int, string>();
        var arguments = new Dictionary<int, StringBuilder>();
        ChatFinishReason? finish = null;
        await foreach (var update in Chat.CompleteChatStreamingAsync([new UserChatMessage("Read the vibration sensor.")], options))
        {
            Assert.DoesNotContain(update.ContentUpdate, p => p.Text.Length > 0);
            foreach (var call in update.ToolCallUpdates)
            {
                if (call.ToolCallId is { } id)
                {
                    ids[call.Index] = id;
                    names[call.Index] = call.FunctionName;
                }

                (arguments.TryGetValue(call.Index, out var sb) ? sb : arguments[call.Index] = new StringBuilder()).Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal([0], names.Keys);
        Assert.Equal("read_sensor", names[0]);
        Assert.StartsWith("call_", ids[0], StringComparison.Ordinal);
        using var document = JsonDocument.Parse(arguments[0].ToString());
        Assert.True(JsonSchema.FromText(SchemaCorpus.ReadSensor).Evaluate(document.RootElement, Strict).IsValid, arguments[0].ToString());
    }

    [Fact]
    public async Task A_tool_result_in_the_history_is_rendered_and_answered()
    {
        var options = new ChatCompletionOptions { ToolChoice = ChatToolChoice.CreateFunctionChoice("read_sensor"), MaxOutputTokenCount = 200, Seed = 3 };
        options.Tools.Add(SensorTool());
        List<ChatMessage> messages = [new UserChatMessage("Read the pressure.")];
        ChatCompletion call = await Chat.CompleteChatAsync(messages, options);
        messages.Add(new AssistantChatMessage(call.ToolCalls));
        messages.Add(new ToolChatMessage(call.ToolCalls[0].Id, "{\"pressure_bar\": 4.2}"));

        var next = new ChatCompletionOptions { MaxOutputTokenCount = 4, Temperature = 0 };
        next.Tools.Add(SensorTool());
        next.ToolChoice = ChatToolChoice.CreateNoneChoice();
        ChatCompletion answer = await Chat.CompleteChatAsync(messages, next);
        ChatCompletion baseline = await Chat.CompleteChatAsync([messages[0]], next);

        // The history (the call in DeepSeek's tool-call tokens, the result in its tool-output tokens) reached the model:
        // the prompt is longer than the question alone by at least the call's arguments and the result.
        var arguments = TextTokenizer.Load(TestEnvironment.DeepSeekV3TokenizerFolder).Encode(call.ToolCalls[0].FunctionArguments.ToString(), AddedTokenHandling.AsText).Length;
        Assert.True(answer.Usage.InputTokenCount > baseline.Usage.InputTokenCount + arguments + 5, $"{answer.Usage.InputTokenCount} vs {baseline.Usage.InputTokenCount} + {arguments}");
        Assert.Equal(ChatFinishReason.Length, answer.FinishReason);
    }

    [Fact]
    public async Task Logit_bias_of_100_forces_its_token()
    {
        var tokenizer = TextTokenizer.Load(TestEnvironment.DeepSeekV3TokenizerFolder);
        var token = tokenizer.Encode(" valve", AddedTokenHandling.AsText).Single();
        using var http = OpenAiClients.Http(platform, platform.Main);
        var response = await http.PostAsJsonAsync("/v1/chat/completions", new Dictionary<string, object>
        {
            ["model"] = PlatformFixture.Model,
            ["messages"] = new[] { new { role = "user", content = "hi" } },
            ["max_tokens"] = 4,
            ["seed"] = 1,
            ["logit_bias"] = new Dictionary<string, int> { [token.ToString(System.Globalization.CultureInfo.InvariantCulture)] = 250 },
        });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(" valve valve valve valve", body.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","minLength":3}},"required":["a"]}""", "minLength")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"integer","minimum":0}},"required":["a"]}""", "minimum")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","format":"email"}},"required":["a"]}""", "email")]
    [InlineData("""{"oneOf":[{"type":"string"},{"type":"integer"}]}""", "oneOf")]
    public async Task An_unsupported_schema_feature_is_a_400_naming_it(string schema, string keyword)
    {
        using var http = OpenAiClients.Http(platform, platform.Main);
        var response = await http.PostAsync("/v1/chat/completions", Json(
            "{\"model\":\"" + PlatformFixture.Model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]," +
            "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"t\",\"strict\":true,\"schema\":" + schema + "}}}"));
        var error = await OpenAiErrorShape.AssertAsync(response, HttpStatusCode.BadRequest, "unsupported_schema");
        Assert.Equal("response_format.json_schema.schema", error.GetProperty("param").GetString());
        Assert.Contains(keyword, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"functions\":[{\"name\":\"f\"}]", "functions")]
    [InlineData("\"audio\":{\"voice\":\"alloy\"}", "audio")]
    [InlineData("\"n\":2", "n")]
    [InlineData("\"tool_choice\":\"required\"", "tool_choice")]
    [InlineData("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],\"response_format\":{\"type\":\"json_object\"}", "response_format")]
    public async Task Unsupported_request_fields_are_refused_not_ignored(string field, string param)
    {
        using var http = OpenAiClients.Http(platform, platform.Main);
        var response = await http.PostAsync("/v1/chat/completions", Json("{\"model\":\"" + PlatformFixture.Model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]," + field + "}"));
        var error = await OpenAiErrorShape.AssertAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(param, error.GetProperty("param").GetString());
    }

    private static ChatTool WorkOrderTool() =>
        ChatTool.CreateFunctionTool("open_work_order", "Opens a maintenance work order.", BinaryData.FromString(SchemaCorpus.OpenWorkOrder), functionSchemaIsStrict: true);

    private static ChatTool SensorTool() =>
        ChatTool.CreateFunctionTool("read_sensor", "Reads a sensor of the asset.", BinaryData.FromString(SchemaCorpus.ReadSensor), functionSchemaIsStrict: true);

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
