package web

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestBrowserJourney signs in, makes a token and signs out in a real
// headless Chromium, over plain http on 127.0.0.1: it proves the
// __Host- session cookie is kept there (loopback is a secure context), that
// the CSP lets the chooser's forms reach the dev provider, and that the
// pages work without help. With TALLY_SCREENSHOTS=dir it saves a PNG of each
// page there. It is skipped when no chromium is installed.
func TestBrowserJourney(t *testing.T) {
	a := newTestApp(t)
	j := newJourney(t, a)
	ctx, shoot, do, text := j.ctx, j.shoot, j.do, j.text

	do("open My spend signed out", chromedp.Navigate(a.base+"/spend"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dev-people"]`)))
	shoot("dev-login")

	do("choose Erin", chromedp.Click(chromedp.CSS(`[data-testid="dev-person-eng@example.com"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="spend-heading"]`)))
	if got := text(`[data-testid="viewer-name"]`); got != "Erin Park" {
		t.Errorf("viewer name: got %q, want Erin Park", got)
	}
	shoot("spend")

	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{a.base}})
	if err != nil {
		t.Fatal(err)
	}
	var session *network.Cookie
	for _, c := range res.Cookies {
		if c.Name == sessionCookie {
			session = c
		}
	}
	if session == nil {
		t.Fatal("Chromium kept no session cookie on http://127.0.0.1")
	}
	if !session.Secure || !session.HTTPOnly || session.SameSite != network.CookieSameSiteLax || session.Path != "/" {
		t.Errorf("session cookie: secure %v httpOnly %v sameSite %s path %s; want true true Lax /",
			session.Secure, session.HTTPOnly, session.SameSite, session.Path)
	}

	do("submit an empty token form", chromedp.Navigate(a.base+"/tokens"),
		chromedp.Click(chromedp.CSS(`[data-testid="token-create"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-summary"]`)))
	shoot("tokens-error")

	do("create a token", chromedp.SendKeys(chromedp.CSS(`#name`), "laptop CLI"),
		chromedp.Click(chromedp.CSS(`[data-testid="token-create"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="token-secret"]`)))
	if got := text(`[data-testid="token-secret"]`); !strings.HasPrefix(got, "tly_") {
		t.Errorf("secret: got %q", got)
	}
	shoot("tokens-created")

	// 200% zoom: the same page in half the CSS width, scaled twice.
	do("zoom to 200%", chromedp.EmulateViewport(640, 900, chromedp.EmulateScale(2)))
	shoot("tokens-zoomed")
	do("zoom back", chromedp.ResetViewport())

	do("open an admin page", chromedp.Navigate(a.base+"/admin/tokens"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-status"]`)))
	if got := text(`[data-testid="error-status"]`); got != "403" {
		t.Errorf("admin page as engineer: got %s, want 403", got)
	}
	shoot("forbidden")

	do("sign out", chromedp.Click(chromedp.CSS(`[data-testid="sign-out"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signed-out-heading"]`)))
	shoot("signed-out")
	if n := a.count(`SELECT count(*) FROM sessions`); n != 0 {
		t.Errorf("sessions after signing out: got %d, want 0", n)
	}
}

// newBrowser starts headless Chromium that can reach loopback addresses
// only: every other host resolves to nothing and goes to a dead proxy.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("TALLY_CHROMIUM")
	if path == "" {
		var err error
		if path, err = exec.LookPath("chromium"); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("chromium is required in CI for the browser tests")
			}
			t.Skip("skipped: no chromium installed (apt-get install chromium, " +
				"or set TALLY_CHROMIUM)")
		}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("proxy-server", "http://127.0.0.1:9"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-component-update", true),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })

	if err := chromedp.Do(ctx); err != nil { // start the browser
		t.Fatalf("start chromium: %v", err)
	}
	timed, cancelTimed := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(cancelTimed)
	return timed
}
