using Microsoft.Extensions.Options;

namespace Anysola.Auth;

/// <summary>Validates <see cref="AnysolaAuthOptions"/> without reflection (source-generated, trimming- and AOT-safe).</summary>
[OptionsValidator]
internal sealed partial class AnysolaAuthOptionsValidator : IValidateOptions<AnysolaAuthOptions>
{
    /// <summary>Throws <see cref="OptionsValidationException"/> naming every invalid option.</summary>
    public static void ThrowIfInvalid(AnysolaAuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new AnysolaAuthOptionsValidator().Validate(Microsoft.Extensions.Options.Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(AnysolaAuthOptions), result.Failures);
        }
    }
}
