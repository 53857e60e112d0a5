namespace Maas.Engine.Checkpoints;

/// <summary>The safetensors dtypes the engine reads or writes.</summary>
public enum SafetensorsDtype
{
    F32,
    BF16,
    F16,
    F8E4M3,
    /// <summary>Any other dtype string (I64, F64, ...): listed so loaders can name it in errors.</summary>
    Other,
}
