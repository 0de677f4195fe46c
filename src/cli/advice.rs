//! What the user can do now, after an error: the command line's advice, printed after the
//! library's message (which describes the problem and names no flag or subcommand).
//!
//! Each piece of advice must lead somewhere: a suggestion is only made when following it works
//! (e.g. `--model NAME@REVISION` only for revisions the cache holds completely).

use passeur::hub;
use passeur::Error;
use passeur::OfflineMiss;

/// The advice for the first passeur error in `err`'s chain, if there is any to give.
pub fn advice(err: &anyhow::Error) -> Option<String> {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<Error>())
        .and_then(for_error)
}

/// The advice for one library error.
pub fn for_error(err: &Error) -> Option<String> {
    match err {
        Error::OfflineCacheMiss(miss) => {
            let OfflineMiss {
                model,
                repo,
                cache_dir,
                complete_revisions,
                ..
            } = &**miss;
            let base = model
                .split_once('@')
                .map_or(model.as_str(), |(base, _)| base);
            let mut advice = String::new();
            if let Some((revision, _)) = complete_revisions.first() {
                advice.push_str(&format!(
                    "use what the cache has with --model {base}@{revision}; or "
                ));
            }
            advice.push_str(&format!(
                "on a machine with internet access, run `passeur fetch {model}` and copy its \
                 folder models--{} (blobs/, snapshots/ and refs/, links kept: `cp -a` or `rsync -a`) \
                 to {}; or pass --model with a folder holding config.json, source.spm, target.spm, \
                 vocab.json and model.safetensors; or unset HF_HUB_OFFLINE to download it \
                 (HF_ENDPOINT=https://… for a mirror). `passeur models` shows what the cache \
                 holds; README: \"No internet on this machine?\"",
                repo.replace('/', "--"),
                cache_dir.display(),
            ));
            Some(advice)
        }
        Error::Download { repo, .. } => {
            let name = hub::catalog()
                .ok()
                .and_then(|entries| entries.iter().find(|e| &e.repo == repo))
                .map_or(repo.as_str(), |entry| entry.name.as_str());
            Some(format!(
                "running the command again resumes the download; without access to the hub, pass \
                 --model with a model folder, set HF_ENDPOINT=https://… to use a mirror, or run \
                 `passeur fetch {name}` on a machine with internet access and copy its Hugging \
                 Face cache here (README: \"No internet on this machine?\")"
            ))
        }
        Error::HubNotFound {
            status: 401 | 403, ..
        } => Some(
            "if the repo is private or gated, set HF_TOKEN to an access token that may read it \
             (or log in with `huggingface-cli login`); otherwise check the repo name"
                .into(),
        ),
        Error::HubNotFound { .. } => Some(
            "check the repo name and revision; `passeur models` lists the names passeur knows"
                .into(),
        ),
        Error::NoWeightsOnHub { .. } => Some(
            "passeur needs model.safetensors or pytorch_model.bin; pass --model with a folder \
             that has one, or another repo"
                .into(),
        ),
        Error::UnknownModel { .. } => Some(
            "`passeur models` lists the names; --model also takes a folder that exists, or \
             Owner/name from the hub"
                .into(),
        ),
        Error::ModelFileMissing { .. } | Error::NoWeightsFile { .. } => Some(
            "copy the missing file from the model's hub repo into the folder; `passeur fetch \
             FOLDER` checks it"
                .into(),
        ),
        Error::Undecodable { hint, .. } => Some((*hint).to_owned()),
        Error::BinaryInput { .. } => Some(
            "passeur translates text: extract the text first (e.g. `pdftotext`, `pandoc -t \
             plain`), or give the right file"
                .into(),
        ),
        Error::FidelityFlags { .. } => Some(
            "--strict: review the flagged sentences, or run without --strict to accept them".into(),
        ),
        Error::InputTooLarge { .. } => Some(
            "if this really is one document, raise the limit (--max-input-size 1G); otherwise \
             split it"
                .into(),
        ),
        Error::GenerationOption {
            option: "quantize", ..
        } => Some(
            "drop --quantize or --dtype bf16 to run on this device, or use --device cpu".into(),
        ),
        Error::InUse { .. } => Some(
            "wait for the other process to finish, or give this run its own OUT_DIR, --shard or \
             --cache"
                .into(),
        ),
        Error::BatchAborted { cause, .. } => {
            let rerun = "rerun the same command to resume";
            Some(match for_error(cause) {
                Some(inner) => format!("{inner}; then {rerun}"),
                None => rerun.into(),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_revision_is_suggested_with_the_name_the_user_gave() {
        let err = Error::OfflineCacheMiss(Box::new(OfflineMiss {
            model: "opus-mt-fr-en".into(),
            repo: "Helsinki-NLP/opus-mt-fr-en".into(),
            revision: "b4a9".into(),
            file: "config.json".into(),
            cache_dir: "/cache".into(),
            detail: String::new(),
            complete_revisions: vec![("main".into(), "abc".into())],
        }));
        let advice = for_error(&err).unwrap();
        assert!(advice.starts_with("use what the cache has with --model opus-mt-fr-en@main"));
        for words in [
            "passeur fetch opus-mt-fr-en",
            "models--Helsinki-NLP--opus-mt-fr-en",
            "to /cache;",
            "--model with a folder",
            "HF_ENDPOINT",
        ] {
            assert!(advice.contains(words), "{advice:?} lacks {words:?}");
        }
    }
}
