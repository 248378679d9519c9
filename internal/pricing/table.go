package pricing

import (
	"bytes"
	"embed"
	"fmt"
)

// data holds the bundled table and its overrides (data/SOURCE.md).
//
//go:embed data/litellm-model-prices.json data/overrides.json
var data embed.FS

// DefaultTable returns the bundled LiteLLM table, BerriAI/litellm commit
// 00035b69, content as of 2026-07-18 (data/SOURCE.md).
func DefaultTable() []byte {
	return mustRead("data/litellm-model-prices.json")
}

// DefaultOverrides returns the bundled overrides file (data/overrides.json).
func DefaultOverrides() []byte {
	return mustRead("data/overrides.json")
}

// DefaultCatalog parses the bundled table, overlays the bundled overrides
// and returns a catalog in which they apply to every time outside the
// overrides' own windows. The database's versions replace it in the app.
func DefaultCatalog() (*Catalog, error) {
	table, err := ParseLiteLLM(bytes.NewReader(DefaultTable()))
	if err != nil {
		return nil, fmt.Errorf("default catalog: %w", err)
	}
	ovs, err := ParseOverrides(bytes.NewReader(DefaultOverrides()))
	if err != nil {
		return nil, fmt.Errorf("default catalog: %w", err)
	}
	return NewCatalog(Overlay(TableVersions(table), ovs)), nil
}

// mustRead reads an embedded file; they are there by construction.
func mustRead(name string) []byte {
	b, err := data.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("pricing: embedded %s: %v", name, err))
	}
	return b
}

// DefaultSource names the bundled table where a price version records its
// source.
const DefaultSource = "bundled LiteLLM table, BerriAI/litellm 00035b69 (2026-07-18)"
