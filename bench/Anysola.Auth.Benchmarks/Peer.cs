using Duende.IdentityModel.Jwk;
using Duende.IdentityModel.OidcClient;

namespace Anysola.Auth.Benchmarks;

/// <summary>Builds the peer, Duende.IdentityModel.OidcClient's RefreshTokenDelegatingHandler, against the fake token endpoint.</summary>
internal static class Peer
{
    public static OidcClient Client(HttpMessageHandler tokenEndpoint) => new(new OidcClientOptions
    {
        Authority = Fixture.BaseAddress.AbsoluteUri,
        ClientId = AnysolaAuthOptions.DefaultClientId,
        Scope = "agents:read",
        BackchannelHandler = tokenEndpoint,

        // Static provider information: no discovery request, so only refresh calls reach the token endpoint.
        ProviderInformation = new ProviderInformation
        {
            IssuerName = Fixture.BaseAddress.AbsoluteUri,
            AuthorizeEndpoint = new Uri(Fixture.BaseAddress, "oauth/authorize").AbsoluteUri,
            TokenEndpoint = new Uri(Fixture.BaseAddress, "api/oauth/token").AbsoluteUri,
            KeySet = new JsonWebKeySet(),
        },
    });

    public static RefreshTokenDelegatingHandler Handler(OidcClient client, string accessToken, string refreshToken, HttpMessageHandler inner) =>
        new(client, accessToken, refreshToken, "Bearer", inner);
}
