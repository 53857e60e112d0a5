using System.Security.Cryptography;
using System.Text;

namespace Maas.Infrastructure.Tenancy;

/// <summary>Makes and hashes API key secrets ("sk-maas-" + 40 base62 characters).</summary>
public static class ApiKeySecret
{
    public const string Prefix = "sk-maas-";
    public const int DisplayLength = 12;

    /// <summary>Random characters after the prefix.</summary>
    public const int RandomLength = 40;

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string Create()
    {
        return Prefix + RandomNumberGenerator.GetString(Alphabet, RandomLength);
    }

    /// <summary>
    /// Whether <paramref name="secret"/> has the shape of a key <see cref="Create"/> makes (prefix, length, alphabet).
    /// Anything else cannot be a key, so it is refused without hashing it or asking the database.
    /// </summary>
    public static bool IsWellFormed(ReadOnlySpan<char> secret)
    {
        if (secret.Length != Prefix.Length + RandomLength || !secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in secret[Prefix.Length..])
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Lower-case hex SHA-256; a fast hash is right here because the secret has 238 bits of entropy.</summary>
    public static string Hash(string secret)
    {
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
    }

    public static string DisplayPrefix(string secret)
    {
        return secret.Length <= DisplayLength ? secret : secret[..DisplayLength];
    }
}
