package review

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/keytrail/keytrail/inventory"
	"github.com/keytrail/keytrail/queries"
)

// Like the events' coverage, the inventory's is a question about the lake
// (did the inventory run, and what could it read?), asked by the review
// alone, so its query lives here.
//
//go:embed inventory.sql
var inventorySQL string

var inventoryQuery = sync.OnceValues(func() (queries.Query, error) {
	return queries.Parse("review_inventory", inventorySQL)
})

// Inventory is the inventory day a review reads: the latest of the period
// with at least one account and region read. Its coverage rows say what
// was read; Day is empty when the period has no inventory, and then every
// section built on it is not checked.
type Inventory struct {
	Day string
	// Accounts and Regions are those read (status ok or partial) on Day;
	// Regions leaves out IAM's "global".
	Accounts, Regions []string
	// NotRead lists what could not be read: "111111111111 eu-west-1 keys:
	// denied (AccessDenied)". Partial lists what was read with errors.
	NotRead, Partial []string
	// Rows are the coverage rows, as evidence (coverage.csv).
	Rows queries.Result
}

// InventoryOf asks r for the latest inventory day of [p.From, p.To).
func InventoryOf(ctx context.Context, r Runner, p Period) (Inventory, error) {
	var inv Inventory
	q, err := inventoryQuery()
	if err != nil {
		return inv, fmt.Errorf("inventory query: %w", err)
	}
	res, err := r.Run(ctx, q, p.args())
	if err != nil {
		return inv, fmt.Errorf("inventory coverage: %w", err)
	}
	inv.Rows = res
	col := func(row []string, name string) string {
		if i := res.Col(name); i >= 0 {
			return row[i]
		}
		return ""
	}
	for _, row := range res.Rows {
		inv.Day = col(row, "day")
		acct, region, table, status := col(row, "account"), col(row, "region"), col(row, "table_name"), col(row, "status")
		place := acct + " " + region + " " + table
		switch status {
		case inventory.StatusOK, inventory.StatusPartial:
			inv.Accounts = append(inv.Accounts, acct)
			if region != inventory.Global {
				inv.Regions = append(inv.Regions, region)
			}
			if status == inventory.StatusPartial {
				inv.Partial = append(inv.Partial, place+": "+detail(col(row, "error")))
			}
		default:
			inv.NotRead = append(inv.NotRead, place+": "+status+detail(col(row, "error")))
		}
	}
	for _, l := range []*[]string{&inv.Accounts, &inv.Regions} {
		slices.Sort(*l)
		*l = slices.Compact(*l)
	}
	return inv, nil
}

func detail(e string) string {
	if e == "" {
		return ""
	}
	return " (" + e + ")"
}

// Summary says what the inventory covers in one line, or that there is
// none.
func (inv Inventory) Summary() string {
	if inv.Day == "" {
		return "No inventory in the period: who may use each secret and key was not checked, nor the sections built on it; who used each one, and what nobody used, come from the events alone"
	}
	s := fmt.Sprintf("inventory of %s: %s %s, %s %s", inv.Day,
		plural(len(inv.Accounts), "account"), strings.Join(inv.Accounts, ", "),
		plural(len(inv.Regions), "region"), strings.Join(inv.Regions, ", "))
	if len(inv.NotRead) > 0 {
		s += "; not read: " + strings.Join(inv.NotRead, "; ")
	}
	if len(inv.Partial) > 0 {
		s += "; read in part: " + strings.Join(inv.Partial, "; ")
	}
	return s
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
