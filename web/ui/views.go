// Package ui holds tally's templ components: one Layout, one exported page
// component per screen fed a view-model struct, and the small parts they
// share. Components never touch the database; handlers in package web build
// the view models.
package ui

// Shell is what Layout needs on every page.
type Shell struct {
	Title     string
	Viewer    *Viewer // nil when nobody is signed in
	Section   string  // key of the active section, "" for none
	CSRFToken string  // for the sign-out form
	CSSPath   string  // static.Path("app.css")
	Dev       bool    // show the development-mode banner
	Refresh   int     // when > 0, reload the page every Refresh seconds
}

// Viewer is the signed-in person as the top bar shows them.
type Viewer struct {
	Name     string
	Email    string
	Sections []Section // the sections their roles open, in order
}

// Section is one entry of the top bar.
type Section struct {
	Key   string
	Label string
	Href  string
}

// FieldError is a problem with one form field, shown in the error summary
// (linking to the field) and beside the field.
type FieldError struct {
	Field   string // the input's id
	Message string
}

// ErrorView is an error page.
type ErrorView struct {
	Shell
	Status  int
	Heading string
	Message string
	SignIn  string // when set, a "Sign in" link to this URL
}

// SignedOutView is the page after signing out.
type SignedOutView struct {
	Shell
}

// TokensView is the My tokens page.
type TokensView struct {
	Shell
	Created    *CreatedToken // the token just made, shown once
	Tokens     []TokenRow
	Form       TokenForm
	AdminScope bool // the viewer may make admin tokens
}

// CreatedToken is a token just made, with its secret.
type CreatedToken struct {
	Name    string
	Secret  string
	Expires string
}

// TokenForm is the create-token form's input and its errors.
type TokenForm struct {
	Name   string
	Scope  string
	Errors []FieldError
}

// TokenRow is one token in a table.
type TokenRow struct {
	ID       int64
	Owner    string // only on the admin list
	Name     string
	Prefix   string
	Scope    string
	Created  string
	Expires  string
	LastUsed string
	Status   string // active, expired or revoked
	Revoke   string // the revoke form's action; "" when not revocable
}

// AdminTokensView is the admin list of everyone's tokens.
type AdminTokensView struct {
	Shell
	Tokens []TokenRow
}

// DevLoginView is the development chooser of whom to sign in as.
type DevLoginView struct {
	Shell
	Action string      // the provider's authorization endpoint
	Params []FormParam // the authorization request, carried through
	People []DevPerson
}

// FormParam is a hidden form field.
type FormParam struct {
	Name  string
	Value string
}

// DevPerson is a demo person on the chooser.
type DevPerson struct {
	Email  string
	Name   string
	Role   string
	Groups string
}
