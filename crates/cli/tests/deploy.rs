//! What the deploy files promise, checked as text (no container engine,
//! cluster or GitHub runner is reachable here; `scripts/test` also checks
//! the Kubernetes manifest against Kubernetes' Job schema, and runs
//! `deploy/slurm.sh` on a one-node Slurm cluster).

fn read(path: &str) -> String {
    let path = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_image_runs_as_an_unprivileged_user_and_names_files_that_exist() {
    let docker = read("deploy/Dockerfile");
    let final_stage = docker.rsplit("\nFROM ").next().unwrap();
    let user = final_stage
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("the final stage sets a USER");
    assert!(!["root", "0"].contains(&user.trim()), "runs as {user}");
    for named in docker
        .split_whitespace()
        .filter(|w| w.starts_with("deploy/") || w.ends_with(".md"))
    {
        let named = named.trim_end_matches("'s");
        let named = named.trim_matches(|c: char| !c.is_alphanumeric() && c != '/' && c != '.' && c != '-');
        let path = format!("{}/../../{named}", env!("CARGO_MANIFEST_DIR"));
        assert!(
            std::path::Path::new(&path).exists(),
            "the Dockerfile names {named}, which does not exist"
        );
    }
}

#[test]
fn the_kubernetes_jobs_run_unprivileged_on_a_pinned_image() {
    let k8s = read("deploy/kubernetes.yaml");
    assert!(!k8s.contains(":latest"), "a moving tag: pin a version or digest");
    let jobs = k8s.split("\n---\n").count();
    for (key, want) in [
        ("runAsNonRoot: true", jobs),
        ("allowPrivilegeEscalation: false", jobs),
        ("readOnlyRootFilesystem: true", jobs),
    ] {
        assert_eq!(k8s.matches(key).count(), want, "{key} in each of the {jobs} Jobs");
    }
}

#[test]
fn only_the_pages_deploy_job_may_publish() {
    let flow = read(".github/workflows/pages.yml");
    let (top, jobs) = flow.split_once("\njobs:\n").expect("a jobs section");
    for write in ["pages: write", "id-token: write"] {
        assert!(!top.contains(write), "{write} granted to every job");
    }
    let (build, deploy) = jobs.split_once("\n  deploy:\n").expect("a deploy job");
    assert!(!build.contains(": write"), "the build job can write");
    assert!(deploy.contains("pages: write") && deploy.contains("id-token: write"));
    assert!(build.contains("timeout-minutes:") && deploy.contains("timeout-minutes:"));
}
