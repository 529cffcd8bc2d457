using System.Diagnostics.CodeAnalysis;
using Anysola.Auth;
using Anysola.Auth.Http;
using Anysola.Auth.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Anysola.Auth with a service collection and its HTTP clients.</summary>
public static class AnysolaAuthServiceCollectionExtensions
{
    /// <summary>The configuration section <c>AddAnysolaAuth(services, configuration)</c> binds.</summary>
    public const string ConfigurationSectionName = "Anysola";

    /// <summary>The name of the <see cref="HttpClient"/> the library uses for OAuth requests (it has no bearer handler).</summary>
    public const string OAuthHttpClientName = "Anysola.Auth.OAuth";

    /// <summary>The default name of the client <see cref="AddAnysolaApiClient(IServiceCollection, string)"/> registers.</summary>
    public const string DefaultApiClientName = "Anysola";

    /// <summary>
    /// Registers <see cref="AnysolaAuthOptions"/> (validated at start-up), <see cref="TimeProvider"/>,
    /// <see cref="DeviceAuthorizationClient"/>, <see cref="TokenManager"/>, <see cref="AnysolaBearerTokenHandler"/> and a
    /// default <see cref="ITokenStore"/>: a <see cref="FileTokenStore"/> at <see cref="FileTokenStore.DefaultPath"/>.
    /// Uses <c>TryAdd</c> throughout, so an app's own <see cref="ITokenStore"/> or <see cref="TimeProvider"/> wins.
    /// Safe to call more than once.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets options; may be <see langword="null"/> to keep the defaults.</param>
    /// <returns>The service collection, for chaining.</returns>
    [SuppressMessage("ApiDesign", "RS0027:API with optional parameter(s) should have the most parameters amongst its public overloads", Justification = "The signature is fixed by the API contract; the IConfiguration overload has no optional parameters, so calls are never ambiguous.")]
    public static IServiceCollection AddAnysolaAuth(this IServiceCollection services, Action<AnysolaAuthOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<AnysolaAuthOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AnysolaAuthOptions>, AnysolaAuthOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(OAuthHttpClientName);

        services.TryAddSingleton(static sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            return new AnysolaProtocolClient(
                () => factory.CreateClient(OAuthHttpClientName),
                AnysolaSettings.From(sp.GetRequiredService<IOptions<AnysolaAuthOptions>>().Value),
                sp.GetRequiredService<TimeProvider>(),
                LoggerFor<TokenManager>(sp));
        });
        services.TryAddSingleton<ITokenStore>(static sp =>
            new FileTokenStore(FileTokenStore.DefaultPath, sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<FileTokenStore>>()));
        services.TryAddSingleton(static sp =>
            new DeviceAuthorizationClient(sp.GetRequiredService<AnysolaProtocolClient>(), LoggerFor<DeviceAuthorizationClient>(sp)));
        services.TryAddSingleton(static sp =>
            new TokenManager(sp.GetRequiredService<AnysolaProtocolClient>(), sp.GetRequiredService<ITokenStore>(), LoggerFor<TokenManager>(sp)));
        services.TryAddTransient(static sp =>
            new AnysolaBearerTokenHandler(
                sp.GetRequiredService<TokenManager>(),
                sp.GetRequiredService<IOptions<AnysolaAuthOptions>>().Value,
                sp.GetService<ILogger<AnysolaBearerTokenHandler>>()));
        return services;
    }

    /// <summary>
    /// Like <see cref="AddAnysolaAuth(IServiceCollection, Action{AnysolaAuthOptions}?)"/>, binding the options from the
    /// <c>Anysola</c> section of <paramref name="configuration"/> (for example <c>Anysola:BaseAddress</c>,
    /// <c>Anysola:Scopes:0</c>). Options set in code with <c>services.Configure&lt;AnysolaAuthOptions&gt;</c> or the
    /// other overload apply in registration order.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration root, or any configuration holding an <c>Anysola</c> section.</param>
    /// <returns>The service collection, for chaining.</returns>
    public static IServiceCollection AddAnysolaAuth(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AnysolaAuthOptions>().Bind(configuration.GetSection(ConfigurationSectionName));
        return services.AddAnysolaAuth();
    }

    /// <summary>
    /// Adds <see cref="AnysolaBearerTokenHandler"/> to a client: requests to the Anysola origin get the bearer token
    /// and are refreshed and resent once on 401; requests elsewhere pass through untouched.
    /// Registers the rest of Anysola.Auth with defaults if <c>AddAnysolaAuth</c> was not called.
    /// </summary>
    /// <param name="builder">The client builder.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static IHttpClientBuilder AddAnysolaAuthHandler(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddAnysolaAuth();
        return builder.AddHttpMessageHandler<AnysolaBearerTokenHandler>();
    }

    /// <summary>
    /// Registers a named <see cref="HttpClient"/> for the Anysola API in one line: its <see cref="HttpClient.BaseAddress"/>
    /// is <see cref="AnysolaAuthOptions.BaseAddress"/>, it retries 429 and 5xx with backoff and jitter (honouring
    /// <c>Retry-After</c>), and each attempt carries the current bearer token.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The client name for <see cref="IHttpClientFactory.CreateClient(string)"/>. Default: <c>Anysola</c>.</param>
    /// <returns>The client builder, for further configuration.</returns>
    public static IHttpClientBuilder AddAnysolaApiClient(this IServiceCollection services, string name = DefaultApiClientName)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        services.AddAnysolaAuth();
        return ConfigureApiClient(services.AddHttpClient(name));
    }

    /// <summary>
    /// Registers a typed client <typeparamref name="TClient"/> whose <see cref="HttpClient"/> is set up as in
    /// <see cref="AddAnysolaApiClient(IServiceCollection, string)"/>.
    /// </summary>
    /// <typeparam name="TClient">The typed client; it receives the configured <see cref="HttpClient"/> in its constructor.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <returns>The client builder, for further configuration.</returns>
    public static IHttpClientBuilder AddAnysolaApiClient<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TClient>(this IServiceCollection services)
        where TClient : class
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddAnysolaAuth();
        return ConfigureApiClient(services.AddHttpClient<TClient>());
    }

    private static IHttpClientBuilder ConfigureApiClient(IHttpClientBuilder builder)
    {
        builder.ConfigureHttpClient(static (sp, client) =>
            client.BaseAddress = sp.GetRequiredService<IOptions<AnysolaAuthOptions>>().Value.BaseAddress);

        // Outermost first: the retry handler sits outside the bearer handler, so every attempt gets the current token.
        builder.AddHttpMessageHandler(static sp => new AnysolaResilienceHandler(
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<AnysolaAuthOptions>>().Value.MaxRetryAttempts));
        return builder.AddAnysolaAuthHandler();
    }

    private static ILogger LoggerFor<T>(IServiceProvider services) =>
        (ILogger?)services.GetService<ILogger<T>>() ?? NullLogger.Instance;
}
