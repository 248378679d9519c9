package attribution

import (
	"testing"
	"time"

	"github.com/tallyhq/tally/internal/usage"
)

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func TestAttribute(t *testing.T) {
	r := NewResolver([]Mapping{
		{Kind: "os_user", Value: "erin", Host: "build-01", PrincipalID: 1},
		{Kind: "os_user", Value: "ci", PrincipalID: 2},
		{Kind: "api_key_id", Value: "key-a", PrincipalID: 3,
			ValidFrom: at("2026-11-01T00:00:00Z"), ValidTo: at("2026-12-01T00:00:00Z")},
		{Kind: "api_key_id", Value: "key-a", PrincipalID: 4,
			ValidFrom: at("2026-12-01T00:00:00Z")},
		{Kind: "host", Value: "Shared-Box", PrincipalID: 5},
		{Kind: "email", Value: "Old.Name@example.com", PrincipalID: 6},
	}, map[string]int64{"eng@example.com": 7})

	nov := *at("2026-11-15T10:00:00Z")
	dec := *at("2026-12-02T10:00:00Z")
	tests := []struct {
		name       string
		when       time.Time
		ev         usage.Evidence
		wantID     int64
		wantMethod Method
	}{
		{"named_principal_is_direct", nov,
			usage.Evidence{Principal: "ENG@example.com", APIKeyID: "key-a"}, 7, Direct},
		{"key_inside_its_window", nov, usage.Evidence{APIKeyID: "key-a"}, 3, Mapped},
		{"key_after_reassignment", dec, usage.Evidence{APIKeyID: "key-a"}, 4, Mapped},
		{"os_user_on_its_host", nov, usage.Evidence{OSUser: "erin", Host: "Build-01"}, 1, Mapped},
		{"os_user_on_another_host_is_nobody", nov,
			usage.Evidence{OSUser: "erin", Host: "laptop"}, 0, ""},
		{"os_user_on_any_host", nov, usage.Evidence{OSUser: "ci", Host: "x"}, 2, Mapped},
		{"host_ignores_case", nov, usage.Evidence{Host: "shared-box"}, 5, Mapped},
		{"email_mapping", nov, usage.Evidence{Principal: "old.name@example.com"}, 6, Mapped},
		{"no_evidence", nov, usage.Evidence{CWD: "/home/erin"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &usage.Event{OccurredAt: tt.when, Evidence: tt.ev}
			id, method, ok := r.Attribute(e)
			if id != tt.wantID || method != tt.wantMethod || ok != (tt.wantID != 0) {
				t.Errorf("got %d %q %v, want %d %q", id, method, ok, tt.wantID, tt.wantMethod)
			}
		})
	}
}
