namespace Maas.Checkpoints;

public enum ModelArchitecture
{
    DeepseekV2,
    DeepseekV3,
}
