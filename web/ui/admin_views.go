package ui

// AdminView is the administrator's start page.
type AdminView struct {
	Shell
	People   string // how many principals tally knows
	Mappings string // how many identity mappings there are
}

// PeopleView is the directory of principals with the directory upload.
type PeopleView struct {
	Shell
	Search  string
	People  []PersonRow
	Showing string // "Showing 3 people." or that only the first are shown
	Notice  string // what the last upload did
	Action  string // the upload form's action, CSRF token in the query
	Errors  []FieldError
}

// PersonRow is one principal.
type PersonRow struct {
	Href       string // their spend
	Email      string
	Name       string
	Kind       string
	CostCenter string
	Manager    string
	Roles      string
	LastLogin  string
}

// MappingsView is the identity mappings with the forms that change them.
type MappingsView struct {
	Shell
	Mappings  []MappingRow
	Kinds     []Option
	Form      MappingForm
	CSVAction string // the CSV form's action, CSRF token in the query
	CSVErrors []FieldError
	Notice    string
}

// MappingRow is one identity mapping.
type MappingRow struct {
	ID        int64
	Kind      string
	Value     string
	Host      string
	Principal string
	ValidFrom string
	ValidTo   string
	CreatedBy string
	Delete    string // the delete form's action
}

// MappingForm is the create-mapping form's input and its errors.
type MappingForm struct {
	Kind           string
	Value          string
	Host           string
	PrincipalEmail string
	ValidFrom      string
	ValidTo        string
	Errors         []FieldError
}

// ModelsView lists the priced models with their tiers, and the price
// table upload.
type ModelsView struct {
	Shell
	Filter    ModelsFilter
	Providers []Option
	Models    []ModelRow
	Showing   string // "1–100 of 2,104 models"
	Prev      string // the previous page's URL, "" on the first
	Next      string
	Back      string // the query of this page, for the tier forms to return to
	Premium   []string
	Notice    string
	Prices    PricesForm
}

// ModelsFilter is the models list's filter, kept in the URL.
type ModelsFilter struct {
	Search   string
	Provider string
	Tier     string
}

// ModelRow is one priced model. Prices are USD per million tokens; "—"
// where the table gives none.
type ModelRow struct {
	Key          string
	Provider     string
	Tier         string
	Input        string
	Output       string
	CacheRead    string
	CacheWrite5m string
	CacheWrite1h string
	ValidFrom    string
	Versions     string
	Corrected    string // the overrides applied to the prices shown, if any
}

// PricesForm is the price table upload's input and its errors.
type PricesForm struct {
	Action        string // the form's action, CSRF token in the query
	EffectiveFrom string
	Errors        []FieldError
}
