/* demo_text.c - the demo's words, what each one means, and a generated
 * corpus of sentences about the sea, names, numbers and the weather. */
#include "config.h"
#include "demo_gen.h"

#include <stdlib.h>
#include <string.h>

uint64_t demo_rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

uint32_t demo_rng_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(demo_rng(s) % n);
}

/* ---------------------------------------------------------------- words
 * Slot lists of the sentence templates. Every word here is a whole token. */
#define LIST(name, ...) static const char *const name[] = {__VA_ARGS__, NULL}
LIST(W_NAME, "Anna", "Tom", "Maria", "Jonas", "Ella", "Peter", "Nora", "Sam");
LIST(W_PLACE, "London", "Lisbon", "Oslo", "Dover", "Bergen");
LIST(W_SEAPLACE, "Atlantic", "Pacific", "Baltic");
LIST(W_SEA, "sea", "ocean", "harbour", "shore", "coast", "reef", "island", "waves", "tide");
LIST(W_SHIP, "ship", "boat", "fleet");
LIST(W_ANIMAL, "whale", "fish", "crab", "seal", "dolphin", "dog", "cat", "horse", "bird", "fox",
     "owl", "goat");
LIST(W_ANIMALS, "whales", "crabs", "seals", "dolphins", "dogs", "cats", "horses", "birds", "foxes",
     "owls", "goats", "gulls");
LIST(W_COLOUR, "red", "blue", "green", "grey", "white", "black", "golden");
LIST(W_FOOD, "bread", "cheese", "apples", "soup", "tea", "honey", "plums");
LIST(W_WEATHER, "rain", "wind", "fog", "snow", "sun", "storm", "clouds");
LIST(W_DAY, "Monday", "Tuesday", "Friday", "Sunday");
LIST(W_MONTH, "January", "March", "June", "October");
LIST(W_TOD, "morning", "evening", "night", "dawn", "noon");
LIST(W_NUMWORD, "one", "two", "three", "four", "five", "ten", "twelve", "seven");
LIST(W_ADJ, "old", "small", "large", "quiet", "cold", "warm", "bright", "dark", "long");
LIST(W_OBJ, "house", "town", "road", "market", "garden", "window", "door", "lantern", "letter",
     "book", "map", "bell", "tower", "bridge", "river", "village");
LIST(W_OBJS, "lanterns", "letters", "books", "maps", "bells", "coins", "stones");
LIST(W_PAST, "sailed", "walked", "returned", "went", "came", "saw", "watched", "found", "counted",
     "painted", "carried", "took", "made", "opened", "crossed", "reached", "stopped", "ate");

static const struct {
	const char *slot;
	const char *const *words;
} slots[] = {
	{"NAME", W_NAME}, {"PLACE", W_PLACE}, {"SEAPLACE", W_SEAPLACE}, {"SEA", W_SEA},
	{"SHIP", W_SHIP}, {"ANIMAL", W_ANIMAL}, {"ANIMALS", W_ANIMALS}, {"COLOUR", W_COLOUR},
	{"FOOD", W_FOOD}, {"WEATHER", W_WEATHER}, {"DAY", W_DAY}, {"MONTH", W_MONTH},
	{"TOD", W_TOD}, {"NUMWORD", W_NUMWORD}, {"ADJ", W_ADJ}, {"OBJ", W_OBJ}, {"OBJS", W_OBJS},
	{"PAST", W_PAST},
};

/* Sentences; {NUM}, {YEAR} and {CLOCK} are numbers. */
static const char *const templates[] = {
	"{NAME} sailed to {PLACE} in {YEAR}.",
	"The {ADJ} {SHIP} was {COLOUR} at {TOD}.",
	"On {DAY}, {NAME} saw {NUM} {ANIMALS} near the {SEA}.",
	"In {MONTH}, the {WEATHER} came over the {SEA}.",
	"At {CLOCK}, the {SHIP} left the harbour for {PLACE}.",
	"{NAME} ate {FOOD} and {FOOD} with {NAME}.",
	"There were {NUMWORD} {ANIMALS} on the {SEA}, and {NAME} counted them!",
	"The price of {FOOD} in {PLACE} was {NUM} coins.",
	"{NAME} painted the {COLOUR} {OBJ} in {YEAR}.",
	"Did {NAME} see the {COLOUR} {ANIMAL} near the {OBJ}?",
	"After the {WEATHER}, {NUMWORD} sailors returned to {PLACE}.",
	"The {ANIMALS} and the {ANIMALS} watched the {WEATHER} at {TOD}.",
	"{NAME} carried {NUM} {OBJS} across the {OBJ} on {DAY}.",
	"Every {TOD}, the {SEA} is {ADJ} and {COLOUR}.",
	"{NAME} found a {ADJ} {OBJ} on the {SEA} in {MONTH} {YEAR}.",
	"We walked {NUM} miles to the {OBJ} in the {WEATHER}.",
	"The {OBJ} opened at {CLOCK} on {DAY}.",
	"She took {NUMWORD} {ANIMALS} from the market!",
	"They reached {PLACE} after {NUM} days at sea.",
	"He made {FOOD} for {NUMWORD} friends in {MONTH}.",
	"The {SHIP} crossed the {SEAPLACE} in {NUM} days.",
	"A {COLOUR} {SHIP} came into the harbour with {NUM} {ANIMALS}.",
	"{NAME} and {NAME} watched the waves from the {OBJ}.",
	"Then the {WEATHER} stopped, and the {SEA} was {ADJ} again.",
	"The {SHIP} from {PLACE} carried {NUM} {OBJS} and {FOOD}.",
	"In {YEAR}, {NUM} {ANIMALS} were found on the {SEA}.",
};

/* ---------------------------------------------------------------- meaning
 * What a word means, by construction: (word, property, magnitude in 16ths).
 * Magnitudes vary so that dashboards show stronger and weaker examples;
 * sea creatures are at least 2.25 on both sea and animal, more than any
 * single property gives, so that the "sea creatures" feature can ask for both. */
static const struct {
	const char *word;
	int prop, mag;
} meaning[] = {
	{"sea", P_SEA, 64}, {"ocean", P_SEA, 64}, {"waves", P_SEA, 56}, {"tide", P_SEA, 52},
	{"harbour", P_SEA, 48}, {"shore", P_SEA, 48}, {"coast", P_SEA, 48}, {"reef", P_SEA, 44},
	{"island", P_SEA, 40}, {"ship", P_SEA, 44}, {"boat", P_SEA, 40}, {"fleet", P_SEA, 36},
	{"sailed", P_SEA, 32}, {"sailors", P_SEA, 40}, {"whale", P_SEA, 40}, {"whales", P_SEA, 40},
	{"fish", P_SEA, 36}, {"crab", P_SEA, 36}, {"crabs", P_SEA, 36}, {"seal", P_SEA, 36},
	{"seals", P_SEA, 36}, {"dolphin", P_SEA, 40}, {"dolphins", P_SEA, 40}, {"gulls", P_SEA, 36},
	{"Atlantic", P_SEA, 40}, {"Pacific", P_SEA, 40}, {"Baltic", P_SEA, 40},
	{"Atlantic", P_PLACE, 32}, {"Pacific", P_PLACE, 32}, {"Baltic", P_PLACE, 32},
	{"London", P_PLACE, 48}, {"Lisbon", P_PLACE, 48}, {"Oslo", P_PLACE, 48},
	{"Dover", P_PLACE, 44}, {"Bergen", P_PLACE, 44},
	{"whale", P_ANIMAL, 40}, {"whales", P_ANIMAL, 40}, {"fish", P_ANIMAL, 36},
	{"crab", P_ANIMAL, 36}, {"crabs", P_ANIMAL, 36}, {"seal", P_ANIMAL, 36},
	{"seals", P_ANIMAL, 36}, {"dolphin", P_ANIMAL, 40}, {"dolphins", P_ANIMAL, 40},
	{"dog", P_ANIMAL, 48}, {"dogs", P_ANIMAL, 48}, {"cat", P_ANIMAL, 48}, {"cats", P_ANIMAL, 48},
	{"horse", P_ANIMAL, 44}, {"horses", P_ANIMAL, 44}, {"bird", P_ANIMAL, 44},
	{"birds", P_ANIMAL, 44}, {"fox", P_ANIMAL, 40}, {"foxes", P_ANIMAL, 40},
	{"owl", P_ANIMAL, 40}, {"owls", P_ANIMAL, 40}, {"goat", P_ANIMAL, 40},
	{"goats", P_ANIMAL, 40}, {"gulls", P_ANIMAL, 36},
	{"red", P_COLOUR, 48}, {"blue", P_COLOUR, 48}, {"green", P_COLOUR, 48},
	{"grey", P_COLOUR, 40}, {"white", P_COLOUR, 44}, {"black", P_COLOUR, 44},
	{"golden", P_COLOUR, 36},
	{"bread", P_FOOD, 48}, {"cheese", P_FOOD, 48}, {"apples", P_FOOD, 44}, {"soup", P_FOOD, 44},
	{"tea", P_FOOD, 40}, {"honey", P_FOOD, 40}, {"plums", P_FOOD, 40},
	{"rain", P_WEATHER, 48}, {"wind", P_WEATHER, 44}, {"fog", P_WEATHER, 44},
	{"snow", P_WEATHER, 48}, {"sun", P_WEATHER, 36}, {"storm", P_WEATHER, 52},
	{"clouds", P_WEATHER, 40},
	{"Monday", P_TIME, 44}, {"Tuesday", P_TIME, 44}, {"Friday", P_TIME, 44},
	{"Sunday", P_TIME, 44}, {"January", P_TIME, 40}, {"March", P_TIME, 40},
	{"June", P_TIME, 40}, {"October", P_TIME, 40}, {"morning", P_TIME, 36},
	{"evening", P_TIME, 36}, {"night", P_TIME, 36}, {"dawn", P_TIME, 32}, {"noon", P_TIME, 32},
	{"one", P_NUMWORD, 40}, {"two", P_NUMWORD, 44}, {"three", P_NUMWORD, 44},
	{"four", P_NUMWORD, 44}, {"five", P_NUMWORD, 44}, {"ten", P_NUMWORD, 48},
	{"twelve", P_NUMWORD, 48}, {"seven", P_NUMWORD, 44},
	{"Anna", P_NAME, 48}, {"Tom", P_NAME, 44}, {"Maria", P_NAME, 48}, {"Jonas", P_NAME, 44},
	{"Ella", P_NAME, 44}, {"Peter", P_NAME, 48}, {"Nora", P_NAME, 44}, {"Sam", P_NAME, 40},
	/* two polysemantic features: three unrelated words share one direction */
	{"lantern", P_POLY_A, 48}, {"Tuesday", P_POLY_A, 40}, {"cheese", P_POLY_A, 44},
	{"bridge", P_POLY_B, 48}, {"seven", P_POLY_B, 40}, {"quiet", P_POLY_B, 44},
};

void demo_word_props(const char *word, int prop[DEMO_NPROP_USED])
{
	for (size_t i = 0; i < sizeof meaning / sizeof meaning[0]; i++)
		if (strcmp(meaning[i].word, word) == 0)
			prop[meaning[i].prop] = meaning[i].mag;
	for (int i = 0; W_PAST[i]; i++)
		if (strcmp(W_PAST[i], word) == 0)
			prop[P_PAST] = 40 + 4 * (int)(strlen(word) % 3);
}

void demo_words_each(void (*add)(const char *word, void *user), void *user)
{
	for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
		for (int j = 0; slots[i].words[j]; j++)
			add(slots[i].words[j], user);
}

/* ---------------------------------------------------------------- corpus */
typedef struct buf {
	char *p;
	size_t n, cap;
} buf;

static void put(buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static const char *const *slot_words(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
		if (strlen(slots[i].slot) == n && memcmp(slots[i].slot, name, n) == 0)
			return slots[i].words;
	return NULL;
}

static const char *pick(const char *const *w, uint64_t *rng)
{
	uint32_t n = 0;
	while (w[n])
		n++;
	return w[demo_rng_below(rng, n)];
}

static void sentence(buf *b, uint64_t *rng)
{
	const char *t = templates[demo_rng_below(rng, sizeof templates / sizeof templates[0])];
	char num[16];
	while (*t) {
		if (*t != '{') {
			put(b, t++, 1);
			continue;
		}
		const char *end = strchr(t, '}');
		size_t n = (size_t)(end - t - 1);
		const char *const *w = slot_words(t + 1, n);
		if (w) {
			const char *s = pick(w, rng);
			put(b, s, strlen(s));
		} else if (n == 4 && memcmp(t + 1, "YEAR", 4) == 0) {
			snprintf(num, sizeof num, "%u", 1400 + demo_rng_below(rng, 600));
			put(b, num, strlen(num));
		} else if (n == 5 && memcmp(t + 1, "CLOCK", 5) == 0) {
			snprintf(num, sizeof num, "%u:%02u", 1 + demo_rng_below(rng, 12), demo_rng_below(rng, 60));
			put(b, num, strlen(num));
		} else { /* NUM: mostly small, sometimes hundreds */
			uint32_t v = demo_rng_below(rng, 4) ? 2 + demo_rng_below(rng, 98) : 100 + demo_rng_below(rng, 900);
			snprintf(num, sizeof num, "%u", v);
			put(b, num, strlen(num));
		}
		t = end + 1;
	}
}

void demo_corpus_make(demo_corpus *c, uint64_t seed)
{
	uint64_t rng = seed;
	memset(c, 0, sizeof *c);
	for (int i = 0; i < DEMO_LINES; i++) {
		buf b = {0};
		int n = 1 + (int)demo_rng_below(&rng, 3);
		for (int k = 0; k < n; k++) {
			if (k)
				put(&b, " ", 1);
			sentence(&b, &rng);
		}
		c->text[i] = b.p;
	}
}

void demo_corpus_free(demo_corpus *c)
{
	for (int i = 0; i < DEMO_LINES; i++) {
		free(c->text[i]);
		free(c->ids[i]);
	}
}
