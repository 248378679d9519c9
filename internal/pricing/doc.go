// Package pricing prices usage events from LiteLLM's price table, exactly
// and by effective date (FORMATS.md C).
//
// Loading: ParseLiteLLM reads a table with every price as a decimal parsed
// from the JSON text. Plan turns a table into price versions (C.6);
// Overlay applies the dated overrides (data/overrides.json) to versions;
// NewCatalog holds them in memory. DefaultCatalog does all of this for the
// bundled table, CatalogFromTable for a dry run's table.
//
// Matching (C.8, Catalog.Resolve): exact matches only, step by step, and
// only rows whose litellm_provider bills the event's provider. Rows whose
// mode is not chat or responses are skipped, and so are rows without a
// mode: the only ones upstream are Fireworks size classes, not models. An
// undated name maps to a dated key only when exactly one dated key shares
// its name. Provider names are lower-cased and a few aliases are mapped
// (amazon-bedrock, google-vertex, google → bedrock, vertex_ai, gemini). An
// empty provider matches nothing.
//
// Cost (C.1–C.5, Catalog.Price), all in exact decimals:
//
//   - A row prices calls only with input and output rates; 0/0 is a
//     placeholder, so unpriced, unless an override marks the model free.
//   - A missing cache rate: Claude models take Anthropic's ratios to input
//     (read 0.1×, 5m 1.25×, 1h 2×); other models price a write as input and
//     a 1h write as their 5m write; a missing read, or a missing web search
//     price outside Claude ($10 per 1,000 for Claude), makes the call
//     unpriced. Every filled rate sets FlagApproximate.
//   - Long context: the band with the highest threshold (parsed from the
//     *_above_Nk_tokens keys, N×1000) that the request's total input
//     strictly exceeds prices the whole request. A band rate missing from
//     the table scales the base rate by the band's input ratio (output:
//     the base rate), flagged. An event of many requests (a bucket) is
//     priced at standard context, flagged if its total passes a threshold.
//   - Service tier: batch, flex and priority take the table's *_batches,
//     *_flex and *_priority rates; a kind the tier does not list is the
//     standard rate times the tier's input ratio, so cache discounts stack.
//     Without any tier rates, batch is 50% off (flagged outside Anthropic,
//     OpenAI and Gemini), and flex, priority and unknown tiers are priced
//     standard, flagged.
//   - Speed "fast" and inference_geo multiply every token kind by the
//     row's provider_specific_entry (and regional_processing_uplift_*)
//     factor of that name; they stack with band and tier. A fast call on a
//     row without a fast factor is priced standard, flagged. Web search is
//     neither discounted nor multiplied.
package pricing
