package principal_test

import (
	"context"
	"testing"

	"github.com/tallyhq/tally/internal/config"
	"github.com/tallyhq/tally/internal/fault"
	"github.com/tallyhq/tally/internal/principal"
	"github.com/tallyhq/tally/internal/testdb"
)

func TestGet(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	_, err := pool.Exec(ctx, `
		INSERT INTO principals (email, name, roles) VALUES ('manager@example.com', 'Morgan', '{finance}');
		INSERT INTO principals (email, cost_center, manager_id)
		SELECT 'eng@example.com', 'eng-platform', id FROM principals WHERE email = 'manager@example.com';`)
	if err != nil {
		t.Fatal(err)
	}
	svc := principal.NewService(pool)

	t.Run("finds_by_email_in_any_case", func(t *testing.T) {
		boss, err := svc.GetByEmail(ctx, "Manager@Example.COM")
		if err != nil {
			t.Fatal(err)
		}
		if boss.Email != "manager@example.com" || !boss.IsFinance() || boss.DisplayName() != "Morgan" {
			t.Errorf("got %+v", boss)
		}
	})

	t.Run("a_manager_is_anyone_with_reports", func(t *testing.T) {
		boss, _ := svc.GetByEmail(ctx, "manager@example.com")
		eng, err := svc.GetByID(ctx, boss.ID+1)
		if err != nil {
			t.Fatal(err)
		}
		if !boss.IsManager() || eng.IsManager() {
			t.Errorf("IsManager: manager %v, engineer %v; want true, false", boss.IsManager(), eng.IsManager())
		}
		if eng.ManagerID != boss.ID || eng.CostCenter != "eng-platform" || eng.Kind != principal.KindPerson {
			t.Errorf("engineer: got %+v", eng)
		}
		if eng.DisplayName() != "eng@example.com" {
			t.Errorf("DisplayName without a name: got %q, want the email", eng.DisplayName())
		}
	})

	t.Run("unknown_is_not_found", func(t *testing.T) {
		if _, err := svc.GetByEmail(ctx, "nobody@example.com"); !fault.IsNotFound(err) {
			t.Errorf("got %v, want not found", err)
		}
	})
}

func TestRoles(t *testing.T) {
	p := principal.Principal{Roles: []string{config.RoleFinance}}
	if !p.IsFinance() || p.IsAdmin() || p.IsInvestigator() || p.IsManager() {
		t.Errorf("finance principal: got admin %v finance %v investigator %v manager %v",
			p.IsAdmin(), p.IsFinance(), p.IsInvestigator(), p.IsManager())
	}
	if !p.HasAny(config.RoleAdmin, config.RoleFinance) || p.HasAny(principal.RoleManager) {
		t.Error("HasAny wrong for a finance principal")
	}
	p.HasReports = true
	if !p.Has(principal.RoleManager) {
		t.Error("a principal with reports does not have the manager role")
	}
}
