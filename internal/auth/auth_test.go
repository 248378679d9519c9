package auth

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestRolesFor(t *testing.T) {
	mapping := map[string][]string{
		"admin":        {"tally-admins"},
		"finance":      {"finance", "billing"},
		"investigator": {"security"},
	}
	tests := []struct {
		name   string
		groups []string
		want   []string
	}{
		{"no_groups_no_roles", nil, []string{}},
		{"unmapped_groups_no_roles", []string{"engineering"}, []string{}},
		{"any_mapped_group_grants", []string{"billing"}, []string{"finance"}},
		{"several_roles_sorted", []string{"security", "tally-admins", "finance"},
			[]string{"admin", "finance", "investigator"}},
		{"match_is_exact", []string{"Finance", "security-team"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RolesFor(tt.groups, mapping); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSafeNext(t *testing.T) {
	tests := map[string]string{
		"":                     DefaultNext,
		"/tokens":              "/tokens",
		"/usage?month=2026-01": "/usage?month=2026-01",
		"//evil.example":       DefaultNext,
		"https://evil.example": DefaultNext,
		`/\evil.example`:       DefaultNext,
		"tokens":               DefaultNext,
		"/a\r\nSet-Cookie: x":  DefaultNext,
		"javascript:alert(1)":  DefaultNext,
	}
	for in, want := range tests {
		if got := SafeNext(in); got != want {
			t.Errorf("SafeNext(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestClaims(t *testing.T) {
	t.Run("groups_as_list_or_string", func(t *testing.T) {
		tests := map[string][]string{
			`["a","b"]`: {"a", "b"},
			`"a"`:       {"a"},
			`["a",1]`:   {"a"},
			`null`:      nil,
			``:          nil,
		}
		for raw, want := range tests {
			if got := claimStrings(json.RawMessage(raw)); !slices.Equal(got, want) {
				t.Errorf("claimStrings(%s): got %v, want %v", raw, got, want)
			}
		}
	})

	t.Run("email_verified_as_bool_or_string", func(t *testing.T) {
		tests := []struct {
			raw       string
			value, ok bool
		}{
			{`true`, true, true},
			{`false`, false, true},
			{`"false"`, false, true},
			{``, false, false},
		}
		for _, tt := range tests {
			v, ok := claimBool(json.RawMessage(tt.raw))
			if v != tt.value || ok != tt.ok {
				t.Errorf("claimBool(%s): got %v %v, want %v %v", tt.raw, v, ok, tt.value, tt.ok)
			}
		}
	})
}

func TestValidToken(t *testing.T) {
	if !ValidToken(NewBinding()) {
		t.Error("a new binding is not valid")
	}
	for _, s := range []string{"", "short", NewBinding() + "A", "!!!!"} {
		if ValidToken(s) {
			t.Errorf("ValidToken(%q): got true, want false", s)
		}
	}
}
