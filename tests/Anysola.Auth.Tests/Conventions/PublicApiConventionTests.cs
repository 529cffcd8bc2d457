using System.Reflection;

namespace Anysola.Auth.Tests.Conventions;

/// <summary>Keeps the public surface honest: small, sealed, and shaped the same way everywhere.</summary>
public sealed class PublicApiConventionTests
{
    private static readonly Type[] PublicTypes = typeof(TokenManager).Assembly.GetExportedTypes();

    // Built for inheritance on purpose: the exception family.
    private static readonly HashSet<Type> OpenForInheritance = [typeof(AnysolaAuthException)];

    [Fact]
    public void PublicClasses_AreSealedOrStatic_UnlessBuiltForInheritance()
    {
        var open = PublicTypes
            .Where(t => t.IsClass && !t.IsSealed && !(t.IsAbstract && t.IsSealed) && !OpenForInheritance.Contains(t))
            .Select(t => t.FullName)
            .ToList();

        Assert.Empty(open);
    }

    [Fact]
    public void PublicTypes_LiveInTheTwoDocumentedNamespaces()
    {
        var misplaced = PublicTypes
            .Where(t => t.Namespace is not ("Anysola.Auth" or "Microsoft.Extensions.DependencyInjection"))
            .Select(t => t.FullName)
            .ToList();

        Assert.Empty(misplaced);
    }

    [Fact]
    public void AsyncMethods_EndInAsync_AndTakeCancellationTokenLastWithDefault()
    {
        var violations = new List<string>();
        // IAsyncDisposable.DisposeAsync has its shape fixed by .NET.
        foreach (var method in PublicMethods().Where(m => IsAwaitable(m.ReturnType) && m.Name != nameof(IAsyncDisposable.DisposeAsync)))
        {
            var name = $"{method.DeclaringType!.Name}.{method.Name}";
            if (!method.Name.EndsWith("Async", StringComparison.Ordinal))
            {
                violations.Add($"{name}: name does not end in Async");
            }

            var last = method.GetParameters().LastOrDefault();
            if (last is null || last.ParameterType != typeof(CancellationToken) || last.Name != "cancellationToken" || !last.HasDefaultValue)
            {
                violations.Add($"{name}: last parameter is not 'CancellationToken cancellationToken = default'");
            }
        }

        Assert.Empty(violations);
    }

    [Fact]
    public void Parameters_UseNoAbbreviatedCancellationTokenNames()
    {
        var abbreviated = PublicMethods()
            .SelectMany(m => m.GetParameters().Select(p => (Method: m, Parameter: p)))
            .Where(x => x.Parameter.ParameterType == typeof(CancellationToken) && x.Parameter.Name != "cancellationToken")
            .Select(x => $"{x.Method.DeclaringType!.Name}.{x.Method.Name}({x.Parameter.Name})")
            .ToList();

        Assert.Empty(abbreviated);
    }

    [Fact]
    public void TypesHoldingSecrets_RedactThemInToString()
    {
        var authorization = new DeviceAuthorization
        {
            DeviceCode = "DEVICE_CODE_FAKE_123",
            UserCode = "WDJB-MJHT",
            VerificationUri = new Uri("https://anysola.example/device"),
            ExpiresAt = DateTimeOffset.UnixEpoch,
            Interval = TimeSpan.FromSeconds(5),
        };
        var tokens = new TokenSet
        {
            AccessToken = "ays_oauth_FAKE_access",
            RefreshToken = "ays_refresh_FAKE_refresh",
            ExpiresAt = DateTimeOffset.UnixEpoch,
        };

        Assert.DoesNotContain("DEVICE_CODE_FAKE_123", authorization.ToString(), StringComparison.Ordinal);
        Assert.Contains("WDJB-MJHT", authorization.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("ays_oauth_FAKE_access", tokens.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("ays_refresh_FAKE_refresh", tokens.ToString(), StringComparison.Ordinal);
        Assert.Contains(TokenSet.Fingerprint("ays_oauth_FAKE_access"), tokens.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(typeof(TokenSet), nameof(TokenSet.AccessToken))]
    [InlineData(typeof(TokenSet), nameof(TokenSet.RefreshToken))]
    [InlineData(typeof(DeviceAuthorization), nameof(DeviceAuthorization.DeviceCode))]
    public void SecretProperties_AreHiddenFromTheDebugger(Type type, string property)
    {
        var attribute = type.GetProperty(property)!.GetCustomAttribute<System.Diagnostics.DebuggerBrowsableAttribute>();

        Assert.Equal(System.Diagnostics.DebuggerBrowsableState.Never, attribute?.State);
    }

    private static IEnumerable<MethodInfo> PublicMethods() =>
        PublicTypes.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => !m.IsSpecialName && m.DeclaringType!.Assembly == typeof(TokenManager).Assembly);

    private static bool IsAwaitable(Type type) =>
        type == typeof(Task) || type == typeof(ValueTask)
        || (type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>)));
}
