//! The facade: [`Passeur`], its builder and [`Device`]; see [`Passeur`].

use crate::batch::{self, BatchOptions, Event, Summary};
use crate::bilingual::Bilingual;
use crate::document::{Document, Syntax};
use crate::fidelity::{Guard, GuardOptions, Guarded, RetryTranslator};
use crate::generate::GenerationOptions;
use crate::hub::ResolveOptions;
use crate::input::Lines;
use crate::model::Quantization;
use crate::pipeline::{Pipeline, PipelineOptions, Progress};
use crate::queue::{self, Queue, QueueOptions, Ticket};
use crate::translate::TranslatorOptions;
use crate::translate::{Provenance, SentenceTranslation, SentenceTranslator, Translator};
use crate::{Error, Result};
use std::collections::VecDeque;
use std::io::Read;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Where the model runs, without depending on candle: `Device::Cpu`, or `Device::Cuda(n)` for
/// NVIDIA GPU number `n` (needs passeur built with the `cuda` feature). Parsed from `cpu`,
/// `cuda` or `cuda:N`.
///
/// ```
/// use passeur::Device;
/// assert_eq!("cuda:1".parse::<Device>()?, Device::Cuda(1));
/// assert_eq!("cpu".parse::<Device>()?.to_string(), "cpu");
/// # Ok::<(), passeur::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Device {
    /// The CPU (the default).
    #[default]
    Cpu,
    /// CUDA GPU number N.
    Cuda(usize),
}

impl Device {
    /// Opens the device for candle.
    pub(crate) fn open(self) -> Result<candle_core::Device> {
        match self {
            Device::Cpu => Ok(candle_core::Device::Cpu),
            Device::Cuda(index) if !cfg!(feature = "cuda") => Err(Error::Message(format!(
                "device cuda:{index}: this passeur was built without GPU support (its `cuda` \
                 feature)"
            ))),
            Device::Cuda(index) => candle_core::Device::new_cuda(index)
                .map_err(|err| Error::compute(format!("opening CUDA device {index}"), err)),
        }
    }
}

impl FromStr for Device {
    type Err = Error;

    fn from_str(value: &str) -> Result<Device> {
        let problem = |what: &str| Error::Message(format!("`{value}` is not a device: {what}"));
        match value {
            "cpu" => Ok(Device::Cpu),
            "cuda" => Ok(Device::Cuda(0)),
            _ => match value.strip_prefix("cuda:") {
                Some(index) => index
                    .parse()
                    .map(Device::Cuda)
                    .map_err(|_| problem("the GPU number after `cuda:` must be 0, 1, …")),
                None => Err(problem("use `cpu`, `cuda` or `cuda:N`")),
            },
        }
    }
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(index) => write!(f, "cuda:{index}"),
        }
    }
}

/// The way in: a French→English translator. A model loaded once, the fidelity guard in front of it (on unless
/// turned off), and the document pipeline around it, so that a string, a document or a stream of
/// them is translated as `passeur translate` translates: segmented into sentences, passthrough
/// decided, long sentences split, numbers and URLs checked, paragraphs kept.
///
/// ```
/// # let model = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/marian-tiny");
/// // `model` is a models.toml name ("opus-mt-fr-en"), a hub repo id or a local folder; here the
/// // random-weight test model, whose English is gibberish.
/// let passeur = passeur::Passeur::builder(model).beams(1).threads(2).build()?;
/// let english: String = passeur.translate("Le texte. Deux phrases.\n\nUn second paragraphe.")?;
/// assert_eq!(english.matches("\n\n").count(), 1); // paragraphs kept
///
/// let doc: passeur::Bilingual = passeur.translate_document("Il y avait 5.000 personnes.")?;
/// let pair = doc.pairs().next().unwrap();
/// assert_eq!(pair.source_text, "Il y avait 5.000 personnes.");
/// // The guard checked the number, which this model does not keep: the sentence is flagged.
/// assert!(pair.target.verdict.is_flagged());
/// # Ok::<(), passeur::Error>(())
/// ```
///
/// The layers below stay available: [`Translator`] (the engine: ids and scores),
/// [`Guard`](crate::fidelity::Guard), [`Pipeline`], [`Queue`] and the writers of
/// [`crate::write`].
///
/// Settings: [`PasseurBuilder`].
///
/// A `Passeur` is `Send + Sync`: share it between threads (`&Passeur` or `Arc<Passeur>`); its
/// compute threads are its own ([`PasseurBuilder::threads`]).
pub struct Passeur {
    engine: Arc<Checked>,
    syntax: Syntax,
    max_sentence_tokens: Option<usize>,
    look_ahead: usize,
}

impl std::fmt::Debug for Passeur {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passeur")
            .field("provenance", &self.engine.provenance())
            .field("guard", &self.engine.guard.is_some())
            .field("syntax", &self.syntax)
            .finish_non_exhaustive()
    }
}

/// What the translator behind a [`Passeur`] is.
enum Inner {
    /// The model, loaded by the builder.
    Model(Box<Translator>),
    /// A translator given by the caller.
    Given(Box<dyn RetryTranslator + Send + Sync>),
}

/// The engine behind the guard (or bare): what the pipeline, the queue and the batch runner
/// translate with. The one place a `Passeur` decides whether the guard runs.
struct Checked {
    inner: Inner,
    guard: Option<Guard>,
}

impl Checked {
    fn translator(&self) -> &(dyn RetryTranslator + Send + Sync) {
        match &self.inner {
            Inner::Model(translator) => translator.as_ref(),
            Inner::Given(translator) => translator.as_ref(),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&dyn SentenceTranslator) -> R) -> R {
        let engine = self.translator();
        match &self.guard {
            Some(guard) => f(&Guarded { guard, engine }),
            None => f(engine),
        }
    }
}

impl SentenceTranslator for Checked {
    fn translate_sentences(&self, sentences: &[&str]) -> Result<Vec<SentenceTranslation>> {
        self.with(|engine| engine.translate_sentences(sentences))
    }
    fn token_count(&self, sentence: &str) -> usize {
        self.translator().token_count(sentence)
    }
    fn max_source_tokens(&self) -> usize {
        self.translator().max_source_tokens()
    }
    fn provenance(&self) -> Provenance {
        self.with(|engine| engine.provenance())
    }
}

impl Passeur {
    /// Loads `model` (a models.toml name such as `opus-mt-fr-en`, a hub repo id `Owner/name`
    /// optionally `@revision`, or a local folder laid out like an opus-mt repo) with the default
    /// settings: the model's own decoding, the fidelity guard on, plain-text input. Downloads
    /// the model on first use unless `HF_HUB_OFFLINE` is set (see [`crate::hub`]).
    pub fn new(model: &str) -> Result<Passeur> {
        Passeur::builder(model).build()
    }

    /// Settings for a `Passeur` loading `model` (see [`Passeur::new`] for what `model` may be).
    pub fn builder(model: impl Into<String>) -> PasseurBuilder {
        PasseurBuilder::new(Source::Model(model.into()))
    }

    /// Settings for a `Passeur` translating with `translator` instead of loading a model: an
    /// engine of your own, or a test double. The guard's repetition-guard retry calls
    /// [`RetryTranslator::translate_sentences_with`]; wrap a plain
    /// [`SentenceTranslator`] in [`FixedDecoding`](crate::fidelity::FixedDecoding). The
    /// builder's engine settings (beams, threads, device, …) do not apply: setting one makes
    /// [`build`](PasseurBuilder::build) fail.
    ///
    /// ```
    /// use passeur::fidelity::FixedDecoding;
    /// use passeur::translate::{SentenceTranslation, SentenceTranslator};
    ///
    /// /// "Translates" every sentence the same way.
    /// struct Always;
    /// impl SentenceTranslator for Always {
    ///     fn translate_sentences(&self, s: &[&str]) -> passeur::Result<Vec<SentenceTranslation>> {
    ///         Ok(s.iter().map(|_| SentenceTranslation::new("There were 500 people.", None)).collect())
    ///     }
    /// }
    ///
    /// let passeur = passeur::Passeur::with_translator(FixedDecoding(Always)).build()?;
    /// let doc = passeur.translate_document("Il y avait 500 personnes. Il y avait 5.000 personnes.")?;
    /// let verdicts: Vec<bool> = doc.pairs().map(|p| p.target.verdict.is_flagged()).collect();
    /// assert_eq!(verdicts, [false, true]); // 5,000 became 500
    /// # Ok::<(), passeur::Error>(())
    /// ```
    pub fn with_translator(
        translator: impl RetryTranslator + Send + Sync + 'static,
    ) -> PasseurBuilder {
        PasseurBuilder::new(Source::Given(Box::new(translator)))
    }

    /// Translates `text` and returns the English in the source's layout: paragraphs, list items
    /// and blank lines as in `text`, each sentence translated on its own (guarded), what has
    /// nothing to translate (numbers, URLs, code) copied.
    pub fn translate(&self, text: &str) -> Result<String> {
        Ok(self.translate_document(text)?.english())
    }

    /// Translates `text` and returns the bilingual document: each source sentence with its
    /// English, model score and [`Verdict`](crate::verdict::Verdict) (translated, copied,
    /// recovered or flagged, with reasons), for [`crate::write`] or your own use.
    pub fn translate_document(&self, text: &str) -> Result<Bilingual> {
        self.translate_parsed(Document::parse(text, self.syntax), &mut |_| {})
    }

    /// Translates a document already parsed (for example by [`crate::html::decode`] and
    /// [`Document::parse`], or trimmed by [`crate::article::extract`]), calling `progress`
    /// before the first model request and after each chunk of them.
    pub fn translate_parsed(
        &self,
        document: Document,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Bilingual> {
        let options = PipelineOptions {
            syntax: document.syntax,
            max_sentence_tokens: self.max_sentence_tokens,
            ..PipelineOptions::default()
        };
        Pipeline::new(self.engine.as_ref(), options).translate_document(document, progress)
    }

    /// Translates a stream of documents (or of blocks of one document: paragraphs, lines of a
    /// feed), yielding one [`Bilingual`] per item, in input order, as soon as it is translated.
    ///
    /// Sentences of several items are batched together: the stream reads ahead of what it has
    /// yielded, up to [`look_ahead`](PasseurBuilder::look_ahead) sentences (and always at least
    /// one item), and hands what it read to the model in one go. Items are read on the calling
    /// thread, when the iterator is advanced; the model runs on a worker thread meanwhile. An
    /// item the engine fails on yields an error and the stream goes on.
    ///
    /// ```
    /// # let model = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/marian-tiny");
    /// let passeur = passeur::Passeur::builder(model).beams(1).build()?;
    /// let feed = ["Premier titre.", "Second titre. Avec deux phrases."];
    /// let mut sentences = Vec::new();
    /// for doc in passeur.translate_stream(feed) {
    ///     sentences.push(doc?.pairs().count());
    /// }
    /// assert_eq!(sentences, [1, 2]);
    /// # Ok::<(), passeur::Error>(())
    /// ```
    pub fn translate_stream<'a, I>(&self, documents: I) -> Stream<'a>
    where
        I: IntoIterator + 'a,
        I::Item: Into<String>,
        I::IntoIter: 'a,
    {
        self.stream(Box::new(
            documents.into_iter().map(|d| Ok(Into::<String>::into(d))),
        ))
    }

    /// Translates a long document as it is read from `reader`, paragraph by paragraph: the
    /// stream yields one [`Bilingual`] per paragraph (a paragraph and the blank lines after it;
    /// a Markdown code fence is never cut), so the English of the first paragraphs comes out
    /// before the end of the input is read, and the concatenated
    /// [`english`](Bilingual::english) of the items is the document's English. The bytes are
    /// decoded as [`crate::input`] decodes files (byte-order mark, UTF-8, legacy encodings;
    /// binary input refused); HTML input is read whole, as one item. Fails at once if the first
    /// bytes are not text.
    pub fn translate_reader<'a, R: Read + 'a>(&self, reader: R) -> Result<Stream<'a>> {
        let lines = Lines::new(reader, "input", None, MAX_LINE_BYTES)?;
        let blocks = Paragraphs {
            lines,
            syntax: self.syntax,
            held: None,
        };
        Ok(self.stream(Box::new(blocks)))
    }

    fn stream<'a>(&self, input: Box<dyn Iterator<Item = Result<String>> + 'a>) -> Stream<'a> {
        let look_ahead = self.look_ahead.max(1);
        let engine: Arc<queue::Engine> = self.engine.clone();
        let queue = Queue::start(
            engine,
            QueueOptions {
                batch_sentences: look_ahead,
                round_sentences: look_ahead,
                wait: Duration::from_millis(2),
                capacity: usize::MAX,
                max_sentence_tokens: self.max_sentence_tokens,
            },
        );
        Stream {
            pending: VecDeque::new(),
            input,
            input_done: false,
            syntax: self.syntax,
            look_ahead,
            pending_sentences: 0,
            queue,
        }
    }

    /// Translates the inputs of a directory as `passeur batch` does (see [`crate::batch::run`]),
    /// through this `Passeur`'s engine and guard, calling `on_event` as inputs finish.
    pub fn translate_dir(
        &self,
        options: &BatchOptions,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<Summary> {
        batch::run(options, self.engine.as_ref(), on_event)
    }

    /// The engine as the pipeline sees it: the translator behind the guard (or bare, with
    /// `guard(false)`), for the lower layers ([`Pipeline`], [`crate::pipeline::Plan`],
    /// [`crate::batch::run`]).
    pub fn engine(&self) -> &(dyn SentenceTranslator + Send + Sync) {
        self.engine.as_ref()
    }

    /// [`engine`](Self::engine), shared: for a [`Queue`] or a server of your own.
    pub fn shared_engine(&self) -> Arc<queue::Engine> {
        self.engine.clone()
    }

    /// The loaded model's [`Translator`] (no guard, no pipeline: ids and scores per sentence),
    /// when this `Passeur` loaded one.
    pub fn translator(&self) -> Option<&Translator> {
        match &self.engine.inner {
            Inner::Model(translator) => Some(translator),
            Inner::Given(_) => None,
        }
    }

    /// Whether the fidelity guard runs.
    pub fn guarded(&self) -> bool {
        self.engine.guard.is_some()
    }

    /// Model and decoding settings, as every output records them.
    pub fn provenance(&self) -> Provenance {
        self.engine.provenance()
    }
}

/// Where the builder's translator comes from.
enum Source {
    Model(String),
    Given(Box<dyn RetryTranslator + Send + Sync>),
}

/// Settings of a [`Passeur`]: start from [`Passeur::builder`], finish with
/// [`build`](Self::build).
///
/// ```no_run
/// let passeur = passeur::Passeur::builder("opus-mt-fr-en")
///     .beams(1)                     // greedy decoding: faster, a little less fluent
///     .threads(2)                   // this instance computes on 2 threads of its own
///     .guard(false)                 // no fidelity checks (on by default)
///     .syntax(passeur::Syntax::Markdown)
///     .offline(true)                // use the Hugging Face cache only
///     .build()?;
/// # Ok::<(), passeur::Error>(())
/// ```
pub struct PasseurBuilder {
    source: Source,
    engine: TranslatorOptions,
    device: Device,
    /// Names of the engine settings given, refused with a given translator.
    engine_settings: Vec<&'static str>,
    cache_dir: Option<PathBuf>,
    offline: Option<bool>,
    progress: Option<bool>,
    guard: Option<GuardOptions>,
    syntax: Syntax,
    max_sentence_tokens: Option<usize>,
    look_ahead: usize,
}

impl std::fmt::Debug for PasseurBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::Model(model) => model.as_str(),
            Source::Given(_) => "(a given translator)",
        };
        f.debug_struct("PasseurBuilder")
            .field("model", &source)
            .field("engine", &self.engine)
            .field("device", &self.device)
            .field("guard", &self.guard)
            .field("syntax", &self.syntax)
            .finish_non_exhaustive()
    }
}

/// Sentences a stream reads ahead by default.
const DEFAULT_LOOK_AHEAD: usize = 64;

/// The longest line [`Passeur::translate_reader`] accepts.
const MAX_LINE_BYTES: usize = 1 << 20;

impl PasseurBuilder {
    fn new(source: Source) -> PasseurBuilder {
        PasseurBuilder {
            source,
            engine: TranslatorOptions::default(),
            device: Device::Cpu,
            engine_settings: Vec::new(),
            cache_dir: None,
            offline: None,
            progress: None,
            guard: Some(GuardOptions::default()),
            syntax: Syntax::Text,
            max_sentence_tokens: None,
            look_ahead: DEFAULT_LOOK_AHEAD,
        }
    }

    fn engine_setting(mut self, name: &'static str, set: impl FnOnce(&mut Self)) -> Self {
        set(&mut self);
        if !self.engine_settings.contains(&name) {
            self.engine_settings.push(name);
        }
        self
    }

    /// Beam size, 1 for greedy decoding [default: the model's generation_config.json, 4 for
    /// opus-mt-fr-en].
    pub fn beams(self, beams: usize) -> Self {
        self.engine_setting("beams", |b| b.engine.generation.num_beams = Some(beams))
    }

    /// Most tokens generated per sentence, end-of-sentence included [default: the model's].
    pub fn max_new_tokens(self, tokens: usize) -> Self {
        self.engine_setting("max_new_tokens", |b| {
            b.engine.generation.max_new_tokens = Some(tokens)
        })
    }

    /// Fewest tokens generated before end-of-sentence is allowed [default: the model's, 0].
    pub fn min_new_tokens(self, tokens: usize) -> Self {
        self.engine_setting("min_new_tokens", |b| {
            b.engine.generation.min_new_tokens = Some(tokens)
        })
    }

    /// Other decoding overrides, replacing those set so far by [`beams`](Self::beams) and the
    /// like.
    pub fn generation(self, generation: GenerationOptions) -> Self {
        self.engine_setting("generation", |b| b.engine.generation = generation)
    }

    /// Compute threads of this instance [default: `RAYON_NUM_THREADS`, else the number of
    /// physical cores; see [`crate::cpu::default_threads`]]. All its work — loading, passeur's
    /// kernels and the candle operations they use — runs on a pool of its own with this many
    /// threads: two instances with one thread each, used from two threads of a program, keep
    /// two cores busy, not more.
    pub fn threads(self, threads: usize) -> Self {
        self.engine_setting("threads", |b| b.engine.threads = Some(threads))
    }

    /// Where the model runs [default: [`Device::Cpu`]].
    pub fn device(self, device: Device) -> Self {
        self.engine_setting("device", |b| b.device = device)
    }

    /// How the weight matrices are stored: [`Quantization::Int8`] and [`Quantization::Bf16`]
    /// are faster on CPU (CPU only) and give slightly different translations [default: exact
    /// f32].
    pub fn quantize(self, quantization: Quantization) -> Self {
        self.engine_setting("quantize", |b| b.engine.quantization = quantization)
    }

    /// Most sentences decoded together [default: 16].
    pub fn batch_size(self, sentences: usize) -> Self {
        self.engine_setting("batch_size", |b| b.engine.max_batch_sentences = sentences)
    }

    /// The Hugging Face cache folder models are found in and downloaded to [default:
    /// `HF_HUB_CACHE`, `HF_HOME/hub`, else `~/.cache/huggingface/hub`].
    pub fn cache_dir(self, folder: impl Into<PathBuf>) -> Self {
        let folder = folder.into();
        self.engine_setting("cache_dir", |b| b.cache_dir = Some(folder))
    }

    /// Never use the network: the model must be a local folder or in the cache [default:
    /// `HF_HUB_OFFLINE`].
    pub fn offline(self, offline: bool) -> Self {
        self.engine_setting("offline", |b| b.offline = Some(offline))
    }

    /// Whether downloads draw progress bars on stderr [default: when stderr is a terminal].
    pub fn progress(self, progress: bool) -> Self {
        self.engine_setting("progress", |b| b.progress = Some(progress))
    }

    /// Turns the fidelity guard on (the default) or off. On, every sentence is checked
    /// (numbers, dates, URLs kept; no empty, copied, truncated or looping English), defective
    /// ones are translated again in other ways, and what stays doubtful is flagged in its
    /// [`Verdict`](crate::verdict::Verdict). Off, the model's first answer is kept unchecked.
    /// What has nothing to translate is copied either way.
    pub fn guard(mut self, on: bool) -> Self {
        self.guard = match (on, self.guard.take()) {
            (false, _) => None,
            (true, kept) => Some(kept.unwrap_or_default()),
        };
        self
    }

    /// Turns the guard on with these settings (for example straight quotes).
    pub fn guard_options(mut self, options: GuardOptions) -> Self {
        self.guard = Some(options);
        self
    }

    /// How input text is written [default: [`Syntax::Text`]: paragraphs separated by blank
    /// lines]. With [`Syntax::Markdown`] headings, lists, links and code are recognised (code is
    /// never translated); with [`Syntax::Html`] the text of a page is translated (render the
    /// result with [`crate::write::page`]).
    pub fn syntax(mut self, syntax: Syntax) -> Self {
        self.syntax = syntax;
        self
    }

    /// Largest number of source tokens sent to the model at once: longer sentences are cut at
    /// clause punctuation, then between words [default and maximum: the model's limit].
    pub fn max_sentence_tokens(mut self, tokens: usize) -> Self {
        self.max_sentence_tokens = Some(tokens);
        self
    }

    /// How many sentences a [stream](Passeur::translate_stream) reads ahead of what it has
    /// yielded, to batch them together [default: 64]: more gives fuller batches, less gives the
    /// first results sooner and holds less in memory.
    pub fn look_ahead(mut self, sentences: usize) -> Self {
        self.look_ahead = sentences.max(1);
        self
    }

    /// Loads the model (downloading it if needed and allowed) and puts the guard in front of it.
    pub fn build(self) -> Result<Passeur> {
        let guard = self.guard.clone().map(Guard::new);
        let (syntax, max_sentence_tokens, look_ahead) =
            (self.syntax, self.max_sentence_tokens, self.look_ahead);
        let inner = match self.source {
            Source::Given(translator) => {
                if let Some(first) = self.engine_settings.first() {
                    return Err(Error::Message(format!(
                        "`{first}` applies to a model the builder loads, not to a given translator"
                    )));
                }
                Inner::Given(translator)
            }
            Source::Model(_) => Inner::Model(Box::new(self.build_translator()?)),
        };
        Ok(Passeur {
            engine: Arc::new(Checked { inner, guard }),
            syntax,
            max_sentence_tokens,
            look_ahead,
        })
    }

    /// Loads the model alone, as [`build`](Self::build) would, without guard or pipeline: the
    /// engine's own [`Translator`], for ids and scores per sentence. Fails for a builder given
    /// a translator.
    pub fn build_translator(self) -> Result<Translator> {
        let Source::Model(model) = &self.source else {
            return Err(Error::Message(
                "this builder was given a translator; there is no model to load".into(),
            ));
        };
        let mut resolve = ResolveOptions::from_env();
        if let Some(folder) = self.cache_dir {
            resolve.cache_dir = folder;
        }
        if let Some(offline) = self.offline {
            resolve.offline = offline;
        }
        if let Some(progress) = self.progress {
            resolve.progress = progress;
        }
        let options = TranslatorOptions {
            device: self.device.open()?,
            ..self.engine
        };
        Translator::load(model, &resolve, options)
    }
}

/// The results of [`Passeur::translate_stream`] and [`Passeur::translate_reader`]: one
/// [`Bilingual`] per input item, in order. Dropping it withdraws what was read and not yet
/// translated.
pub struct Stream<'a> {
    // Declared before `queue`: the tickets are dropped (their documents withdrawn) before the
    // queue waits for its worker.
    pending: VecDeque<Pending>,
    input: Box<dyn Iterator<Item = Result<String>> + 'a>,
    input_done: bool,
    syntax: Syntax,
    look_ahead: usize,
    /// Sentences of the items in `pending`.
    pending_sentences: usize,
    queue: Queue,
}

impl std::fmt::Debug for Stream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("pending", &self.pending.len())
            .field("pending_sentences", &self.pending_sentences)
            .field("input_done", &self.input_done)
            .finish_non_exhaustive()
    }
}

/// An item read and not yet yielded.
enum Pending {
    /// In the queue, with its number of sentences.
    Queued(Ticket, usize),
    /// Failed before reaching the queue (a read error).
    Failed(Error),
}

impl Stream<'_> {
    /// Reads items until `look_ahead` sentences are pending, then queues them together. Reads
    /// nothing while more than half of that is still pending, so each refill is a batch.
    fn fill(&mut self) {
        if self.input_done
            || (!self.pending.is_empty() && 2 * self.pending_sentences > self.look_ahead)
        {
            return;
        }
        let mut read = Vec::new();
        let mut sentences = Vec::new();
        let mut total = self.pending_sentences;
        let mut failed = None;
        while (self.pending.is_empty() && read.is_empty()) || total < self.look_ahead {
            match self.input.next() {
                None => {
                    self.input_done = true;
                    break;
                }
                Some(Err(err)) => {
                    self.input_done = true;
                    failed = Some(err);
                    break;
                }
                Some(Ok(text)) => {
                    let document = Document::parse(&text, self.syntax);
                    let count = document.sentences().count();
                    total += count;
                    sentences.push(count);
                    read.push(document);
                }
            }
        }
        if !read.is_empty() {
            let count = read.len();
            match self.queue.submit_all(read) {
                Ok(tickets) => {
                    for (ticket, n) in tickets.into_iter().zip(sentences) {
                        self.pending_sentences += n;
                        self.pending.push_back(Pending::Queued(ticket, n));
                    }
                }
                Err(err) => {
                    let message = err.to_string();
                    self.pending.push_back(Pending::Failed(err));
                    for _ in 1..count {
                        self.pending.push_back(Pending::Failed(Error::EngineFailed {
                            problem: message.clone(),
                        }));
                    }
                }
            }
        }
        if let Some(err) = failed {
            self.pending.push_back(Pending::Failed(err));
        }
    }
}

impl Iterator for Stream<'_> {
    type Item = Result<Bilingual>;

    fn next(&mut self) -> Option<Result<Bilingual>> {
        self.fill();
        match self.pending.pop_front()? {
            Pending::Queued(ticket, sentences) => {
                self.pending_sentences -= sentences;
                Some(ticket.wait())
            }
            Pending::Failed(err) => Some(Err(err)),
        }
    }
}

/// The paragraphs of a line stream: each a run of non-blank lines and the blank lines after it,
/// line endings included; a Markdown code fence is kept whole; HTML is one item.
struct Paragraphs<R> {
    lines: Lines<R>,
    syntax: Syntax,
    /// The first line of the next paragraph, read while finishing the previous one.
    held: Option<String>,
}

impl<R: Read> Iterator for Paragraphs<R> {
    type Item = Result<String>;

    fn next(&mut self) -> Option<Result<String>> {
        let mut paragraph = String::new();
        let mut fence: Option<String> = None;
        let mut ended = false; // a blank line after text was seen
        if let Some(line) = self.held.take() {
            paragraph.push_str(&line);
            paragraph.push('\n');
            fence = fence_opening(&line, self.syntax);
        }
        loop {
            let line = match self.lines.next() {
                None => break,
                Some(Err(err)) => return Some(Err(err)),
                Some(Ok(line)) => line,
            };
            let blank = line.trim().is_empty();
            if let Some(marker) = &fence {
                if line.trim_start().starts_with(marker.as_str()) {
                    fence = None;
                }
            } else if self.syntax != Syntax::Html {
                if blank {
                    ended = !paragraph.trim().is_empty();
                } else if ended {
                    self.held = Some(line);
                    return Some(Ok(paragraph));
                } else {
                    fence = fence_opening(&line, self.syntax);
                }
            }
            paragraph.push_str(&line);
            paragraph.push('\n');
        }
        (!paragraph.is_empty()).then_some(Ok(paragraph))
    }
}

/// The fence marker (```` ``` ```` or `~~~`) a Markdown line opens a code block with.
fn fence_opening(line: &str, syntax: Syntax) -> Option<String> {
    if syntax != Syntax::Markdown {
        return None;
    }
    let trimmed = line.trim_start();
    ["```", "~~~"]
        .into_iter()
        .find(|marker| trimmed.starts_with(marker))
        .map(str::to_string)
}
