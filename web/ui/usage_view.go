package ui

import "github.com/shopspring/decimal"

// UsageView is Usage: everyone's month by principal and model, filtered.
type UsageView struct {
	Shell
	Month        string // March 2026
	Filter       UsageFilterView
	Picker       MonthPicker
	Total        Figure
	Unattributed Figure // the part of Total that nobody owns
	Columns      []SortColumn
	Rows         []UsageRow
	Footer       UsageRow
	CSVHref      string
}

// UsageFilterView is the filter form: what is chosen and the choices.
type UsageFilterView struct {
	Month       string // 2006-01
	CostCenter  string
	Principal   string
	Model       string
	Tier        string
	Attributed  string // "", yes or no
	Sort        string
	Months      []FilterOption
	CostCenters []FilterOption
	Models      []FilterOption
	Active      bool // any filter besides the month is set
	Reset       string
}

// SortColumn is a column header of a sortable table.
type SortColumn struct {
	Key     string
	Label   string
	Unit    string // shown after the label: "tokens", "USD"
	Href    string
	Active  bool
	Numeric bool
}

// UsageRow is one principal's (or nobody's) use of one model.
type UsageRow struct {
	Principal  string // a name, or "unattributed"
	Email      string
	Href       string // the principal's month, or the unattributed clusters
	CostCenter string
	Model      string
	Tier       string
	Priced     bool
	Calls      int64
	Unpriced   int64
	Input      int64
	CacheRead  int64
	CacheWrite int64
	Output     int64
	Cost       decimal.Decimal
}
