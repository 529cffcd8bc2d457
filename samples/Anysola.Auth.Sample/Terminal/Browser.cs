using System.ComponentModel;
using System.Diagnostics;

namespace Anysola.Auth.Sample.Terminal;

/// <summary>Opens a link in the person's browser, unless there is no browser to open it in.</summary>
internal static class Browser
{
    /// <summary>Why no browser should be opened here, or <see langword="null"/> when one may be.</summary>
    public static string? ReasonNotToOpen(bool noBrowserOption)
    {
        if (noBrowserOption)
        {
            return "--no-browser";
        }

        // $BROWSER is the person's explicit choice (a command such as w3m, or "none"), so it beats the guesses below.
        var browser = Environment.GetEnvironmentVariable("BROWSER");
        if (!string.IsNullOrWhiteSpace(browser))
        {
            return browser.Trim() == "none" ? "BROWSER=none" : null;
        }

        if (Environment.GetEnvironmentVariable("SSH_CONNECTION") is { Length: > 0 } || Environment.GetEnvironmentVariable("SSH_TTY") is { Length: > 0 })
        {
            return "this is an SSH session";
        }

        if (OperatingSystem.IsLinux() && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY")))
        {
            return "there is no display";
        }

        return null;
    }

    /// <summary>Starts $BROWSER, or the system's handler for links (xdg-open, open, start). Never throws.</summary>
    public static bool TryOpen(Uri url)
    {
        var browser = Environment.GetEnvironmentVariable("BROWSER");
        // $BROWSER may be a text browser that needs this terminal, so it inherits our streams; login writes no
        // data to stdout, which keeps that safe.
        var start = string.IsNullOrWhiteSpace(browser)
            ? new ProcessStartInfo(url.AbsoluteUri) { UseShellExecute = true }
            : new ProcessStartInfo(browser.Trim(), [url.AbsoluteUri]);
        try
        {
            using var process = Process.Start(start);
            return process is not null || start.UseShellExecute;
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            return false;
        }
    }
}
