namespace Maas.Tokenization;

/// <summary>An entry of tokenizer.json's added_tokens.</summary>
internal readonly record struct AddedToken(string Content, int Id, bool Special);
