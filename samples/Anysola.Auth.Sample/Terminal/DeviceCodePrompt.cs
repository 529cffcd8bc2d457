using QRCoder;

namespace Anysola.Auth.Sample.Terminal;

/// <summary>
/// The login screen of the device flow: the code and link (plus a QR code on a terminal), the browser opened when
/// there is one, then a countdown to the code's expiry while the person approves.
/// </summary>
internal static class DeviceCodePrompt
{
    /// <summary>Runs <see cref="TokenManager.LoginAsync"/> with this prompt; returns the stored tokens.</summary>
    public static async Task<TokenSet> LoginAsync(AnysolaSession session, Ui ui, bool noBrowser, CancellationToken cancellationToken)
    {
        IAsyncDisposable? waiting = null;
        TokenSet tokens;
        try
        {
            tokens = await session.Tokens.LoginAsync(
                (authorization, _) =>
                {
                    Show(authorization, session, ui, noBrowser);
                    waiting = ui.Progress(() => $"Waiting for approval… the code expires in {Countdown(authorization.ExpiresAt - session.Time.GetUtcNow())}");
                    return Task.CompletedTask;
                },
                cancellationToken);
        }
        finally
        {
            if (waiting is not null)
            {
                await waiting.DisposeAsync();
            }
        }

        ui.Success("Approved.");
        return tokens;
    }

    private static void Show(DeviceAuthorization authorization, AnysolaSession session, Ui ui, bool noBrowser)
    {
        var link = authorization.VerificationUriComplete ?? authorization.VerificationUri;
        ui.Notice($"Your one-time code: {ui.Bold(ui.Yellow(authorization.UserCode))}");
        ui.Detail($"Open {ui.Cyan(authorization.VerificationUri.AbsoluteUri)} and enter it, or use this link, which fills it in:");
        ui.Detail(ui.Cyan(link.AbsoluteUri));

        if (ui.IsTerminal)
        {
            ui.Line();
            ui.Detail("Or scan it with your phone:");
            using var data = new QRCodeGenerator().CreateQrCode(link.AbsoluteUri, QRCodeGenerator.ECCLevel.L);
            foreach (var row in new AsciiQRCode(data).GetGraphicSmall().Split('\n'))
            {
                ui.Detail(row);
            }
        }

        if (session.IsLocal)
        {
            ui.Notice($"The local server approves every login by itself (as {session.LocalServer!.Options.AutoApproveUser}, workspace {session.LocalServer.Options.AutoApproveWorkspace}): nothing to click.");
        }
        else if (Browser.ReasonNotToOpen(noBrowser) is { } reason)
        {
            ui.Detail(ui.Dim($"No browser opened ({reason}): open the link on any device."));
        }
        else if (Browser.TryOpen(link))
        {
            ui.Detail(ui.Dim("Opened the link in your browser."));
        }
        else
        {
            ui.Detail(ui.Dim("Could not open a browser: open the link yourself."));
        }
    }

    private static string Countdown(TimeSpan left) =>
        left <= TimeSpan.Zero ? "0:00" : $"{(int)left.TotalMinutes}:{left.Seconds:00}";
}
